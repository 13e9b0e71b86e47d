// For clinic office staff and admins: the "Inbox" of the families' conversations and refill
// requests of their clinics (admins: every clinic), each list oldest waiting first with the
// patient and the days waited, by clinic and status. Opening a conversation (an audited
// read of the patient, which marks the family's messages read for the office) shows its
// messages and the internal notes (never shown to the family), with Take (the others see
// who has it), Close, Reply and Add note. Opening a refill request lets staff answer each
// medication: approved (sent to the family's pharmacy), denied (with a reason the family
// reads) or needs an appointment. Take, Close and the answers carry the version the page
// showed: when someone else changed it first, the page says so and shows it as it is now.
// Everything is a link, a button or a form field, so the page works by keyboard alone.

import { api, clinicNames, newKey } from "../api.js";
import { EASTERN_LABEL, easternText, easternWhen, waited } from "../appointments.js";
import { officeCounts, recountOffice } from "../counts.js";
import {
  BODY_MAX, conversationPath, conversationStatus, messageList, newMessages, refillFacts, refillItemState, refillsLeft,
} from "../messages.js";
import { patientPath, say } from "../records.js";
import * as session from "../session.js";
import { alertBox, facts, fieldError, form, h, link, notice, page, pagedTable } from "../ui.js";
import { CONVERSATION_STATUSES, REFILL_REQUEST_STATUSES, REFILL_STATUSES } from "../words.js";

const TITLE = "Inbox";
const CONVERSATION = "Conversation";
const REFILL = "Refill request";
const BASE = "/office/inbox";
const KINDS = {
  conversation: { label: "Conversations", statuses: CONVERSATION_STATUSES, first: "open" },
  refill: { label: "Refill requests", statuses: REFILL_REQUEST_STATUSES, first: "requested" },
};
// The list's caption by kind and status.
const LISTS = {
  "conversation/open": "Open conversations",
  "conversation/closed": "Closed conversations",
  "refill/requested": "Refill requests waiting for an answer",
  "refill/answered": "Answered refill requests",
};
const SOMEONE_ELSE = {
  conversation: "Someone else changed this conversation after you opened it, so your change was not saved. This is the conversation as it is now.",
  refill: "Someone else changed this refill request after you opened it, so your answers were not saved. This is the request as it is now.",
};

export function show(ctx = {}) {
  const query = ctx.query ?? new URLSearchParams();
  if (query.get("conversation")) return showConversation(query.get("conversation"), ctx.flash ? notice(ctx.flash) : null);
  if (query.get("refill")) return showRefill(query.get("refill"), ctx.flash ? notice(ctx.flash) : null);
  return showInbox(ctx, query);
}

// ---- whose each item is
// The office's routes of a conversation or refill request go through its patient. The inbox
// knows the patient of what it lists: kept in memory (with the name, which never goes into
// storage) and, by id only, for this tab, so that a reload finds it again.

const STORE = "portal-inbox-patients";
const listed = new Map();

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) ?? "{}");
  } catch {
    return {};
  }
}

function remember(id, patient, ageDays) {
  listed.set(id, { patient, ageDays });
  try {
    const ids = stored();
    ids[id] = patient.id;
    const kept = Object.entries(ids).slice(-500);
    sessionStorage.setItem(STORE, JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // Storage turned off: a reload opens the inbox's list again.
  }
}

/** `{ patient: { id, given_name, family_name, birth_date }, ageDays }` of an item, or null
 * when the inbox of this tab never listed it. */
async function whoseItem(id) {
  if (listed.has(id)) return listed.get(id);
  const patientId = stored()[id];
  if (!patientId) return null;
  const d = await api("GET", patientPath(patientId, "demographics"));
  const found = { patient: { id: patientId, given_name: d.given_name, family_name: d.family_name, birth_date: d.birth_date }, ageDays: null };
  listed.set(id, found);
  return found;
}

function fullName(p) {
  return `${p.given_name} ${p.family_name}`;
}

// ---- the lists

let lastList = BASE;

function back() {
  return h("p", {}, link(lastList, "Back to the inbox"));
}

/** The clinics the signed-in account may filter by: an admin's every clinic, staff's own. */
function filterClinics(names) {
  if (session.isAdmin()) return [...names.entries()].map(([value, label]) => ({ value, label }));
  return (session.current()?.clinics ?? []).map((c) => ({ value: c, label: names.get(c) ?? c }));
}

/** A time in a list's narrow column, which may wrap: "Nov 27, 2026, 6:07 PM". */
function shortWhen(instant) {
  return h("time", { datetime: instant }, easternText(instant, { label: false }));
}

function listHref(kind, params = {}) {
  return `${BASE}?${new URLSearchParams({ kind, ...params })}`;
}

async function showInbox(ctx, query) {
  const kind = KINDS[query.get("kind")] ? query.get("kind") : "conversation";
  const { label, statuses, first: firstStatus } = KINDS[kind];
  const status = statuses[query.get("status")] ? query.get("status") : firstStatus;
  const clinic = query.get("clinic") ?? "";
  lastList = listHref(kind, { ...(clinic ? { clinic } : {}), status });
  const names = await clinicNames();
  const mine = filterClinics(names);
  const several = session.isAdmin() || mine.length > 1;
  const clinicName = (id) => names.get(id) ?? id;

  // The counts of both lists beside their tabs, asked again now that the inbox is shown.
  recountOffice();
  const counts = await officeCounts();
  const waiting = { conversation: counts?.conversations, refill: counts?.refill_requests };
  const tabs = h("nav", { class: "tabs", "aria-label": "Inbox lists" }, h("ul", {},
    Object.entries(KINDS).map(([k, v]) => h("li", {},
      link(listHref(k, clinic ? { clinic } : {}), v.label, { "aria-current": k === kind ? "page" : undefined }),
      waiting[k] === undefined ? null : h("span", { class: "hint" }, ` ${waiting[k]} open`)))));

  const filters = form({
    fields: [{ fields: [
      ...(several ? [{ name: "clinic", label: "Clinic", options: mine, value: clinic, required: false,
        placeholder: session.isAdmin() ? "Every clinic" : "All your clinics" }] : []),
      { name: "status", label: "Status", options: Object.entries(statuses).map(([value, words]) => ({ value, label: words })), value: status },
    ] }],
    submit: "Show",
    onSubmit: async (v) => {
      ctx.go(listHref(kind, { ...(v.clinic ? { clinic: v.clinic } : {}), status: v.status }));
    },
  });

  const next = (cursor) => {
    const q = new URLSearchParams({ kind, status, limit: "50" });
    if (clinic) q.set("clinic", clinic);
    if (cursor) q.set("cursor", cursor);
    return api("GET", `/api/office/inbox?${q}`);
  };
  let firstPage;
  try {
    firstPage = await next(null);
  } catch (error) {
    page(TITLE, tabs, alertBox(error.message), h("div", { class: "card" }, filters.el));
    return;
  }

  const patientCell = (item, href) => h("td", {},
    link(href, `${item.patient.family_name}, ${item.patient.given_name}`),
    h("span", { class: "hint block" }, `Born ${item.patient.birth_date}`));
  const conversationRow = (c) => {
    remember(c.id, c.patient, c.age_days);
    return h("tr", {},
      h("td", {}, c.status === "open" ? waited(c.age_days) : "Closed"),
      patientCell(c, `${BASE}?conversation=${encodeURIComponent(c.id)}`),
      h("td", {}, c.subject,
        c.unread > 0 ? h("span", { class: "block" }, h("span", { class: "tag tag-unread" }, newMessages(c.unread))) : null,
        c.taken_by ? h("span", { class: "hint block" }, `Taken by ${c.taken_by}`) : null,
        c.confidential ? h("span", { class: "hint block" }, "Confidential") : null),
      several ? h("td", {}, clinicName(c.clinic)) : null,
      h("td", {}, shortWhen(c.last_message_at)));
  };
  const refillRow = (r) => {
    remember(r.id, r.patient, r.age_days);
    return h("tr", {},
      h("td", {}, r.status === "requested" ? waited(r.age_days) : "Answered"),
      patientCell(r, `${BASE}?refill=${encodeURIComponent(r.id)}`),
      h("td", {}, h("ul", { class: "plain" }, r.items.map((i) => h("li", {}, i.name,
        i.refills_left === 0 ? h("span", { class: "hint" }, " (none left)") : null,
        i.status !== "requested" ? h("span", { class: "hint" }, ` — ${REFILL_STATUSES[i.status] ?? i.status}`) : null))),
        h("span", { class: "hint block" }, `To ${r.pharmacy.name}`),
        r.confidential ? h("span", { class: "hint block" }, "Confidential") : null),
      several ? h("td", {}, clinicName(r.clinic)) : null,
      h("td", {}, shortWhen(r.created)));
  };
  const caption = `${LISTS[`${kind}/${status}`]}${clinic ? ` of ${clinicName(clinic)}` : ""}, oldest waiting first`;
  // The clinic is a column only for those who serve several.
  const columns = (list) => list.filter((c) => c !== "Clinic" || several);
  const list = kind === "conversation"
    ? await pagedTable(caption, columns(["Waiting", "Patient", "Subject", "Clinic", `Last message (${EASTERN_LABEL})`]),
      { next, row: conversationRow, noun: "conversations", first: firstPage, moreLabel: "More conversations" })
    : await pagedTable(caption, columns(["Waiting", "Patient", "Medications", "Clinic", `Sent (${EASTERN_LABEL})`]),
      { next, row: refillRow, noun: "refill requests", first: firstPage, moreLabel: "More refill requests" });

  page(
    TITLE,
    ctx.flash ? notice(ctx.flash) : null,
    h("p", { class: "lead" }, session.isAdmin()
      ? "The families' messages and refill requests, of every clinic. Open one to answer it."
      : "The families' messages and refill requests, of your clinics. Open one to answer it."),
    tabs,
    h("div", { class: "card" }, filters.el),
    h("section", { class: "card", "aria-labelledby": "inbox-h" },
      h("h2", { id: "inbox-h" }, label),
      list.count === 0 ? h("p", {}, `${LISTS[`${kind}/${status}`]}: none.`) : list.el),
  );
}

// ---- one conversation

function officePath(id, action) {
  return `/api/office/conversations/${encodeURIComponent(id)}/${action}`;
}

async function showConversation(id, message = null) {
  let who;
  let c;
  try {
    who = await whoseItem(id);
    if (!who) {
      page(CONVERSATION, alertBox("This conversation is not in this tab's inbox any more. Open it from the inbox."), back());
      return;
    }
    c = await api("GET", conversationPath(who.patient.id, id));
  } catch (error) {
    page(CONVERSATION, alertBox(error.message), back());
    return;
  }
  // Opened: the family's messages are read for the office now.
  recountOffice();
  renderConversation(c, who, await clinicNames(), message);
}

function renderConversation(c, who, names, message) {
  const clinicName = names.get(c.clinic) ?? c.clinic;
  const name = fullName(who.patient);
  const me = session.current()?.username ?? "";
  const status = h("div", { role: "status" });
  const open = c.status === "open";
  const again = (answer, text) => renderConversation({ ...c, ...answer, messages: c.messages, notes: c.notes }, who, names, text);
  const changed = async () => {
    try {
      const now = await api("GET", conversationPath(who.patient.id, c.id));
      renderConversation(now, who, names, alertBox(SOMEONE_ELSE.conversation));
    } catch (error) {
      say(status, alertBox(error.message));
    }
  };

  const takenBy = c.taken_by
    ? (c.taken_by.toLowerCase() === me.toLowerCase() ? `You (${c.taken_by})` : c.taken_by)
    : "No one yet";
  const rows = [
    ["Patient", `${name}, born ${who.patient.birth_date}`],
    ["Clinic", clinicName],
    ["Status", conversationStatus(c.status)],
    ["Taken by", takenBy],
  ];
  if (open && who.ageDays !== null && who.ageDays !== undefined) rows.push(["Waiting", waited(who.ageDays)]);
  rows.push(["Last message", easternWhen(c.last_message_at)]);
  if (c.confidential) rows.push(["Confidential", "Yes: the patient's own account asked that parents and guardians do not see it."]);

  // Take and Close send the version shown; a 409 means someone else was first.
  const act = async (button, action, done) => {
    button.disabled = true;
    try {
      const answer = await api("POST", officePath(c.id, action), { body: { version: c.version } });
      recountOffice();
      again(answer, notice(done));
    } catch (error) {
      if (error.status === 409) changed();
      else say(status, alertBox(error.message));
    } finally {
      button.disabled = false;
    }
  };
  const buttons = [];
  if (!c.taken_by || c.taken_by.toLowerCase() !== me.toLowerCase()) {
    buttons.push(h("button", { type: "button", "aria-describedby": "subject-h",
      onclick: (e) => act(e.currentTarget, "take", "You took this conversation. The others of the clinic see that you have it.") }, "Take"));
  }
  if (open) {
    buttons.push(h("button", { type: "button", class: "danger", "aria-describedby": "subject-h",
      onclick: (e) => act(e.currentTarget, "close", "Closed. A message from the family opens it again.") }, "Close"));
  }

  const key = newKey();
  const reply = form({
    fields: [{ name: "body", label: "Reply to the family", term: "the reply", type: "textarea", maxlength: BODY_MAX, rows: 5,
      hint: "The family reads this under Messages, with your name and clinic." }],
    submit: "Send reply",
    onSubmit: async (v) => {
      await api("POST", conversationPath(who.patient.id, c.id, "/messages"), { body: { body: v.body }, key });
      const now = await api("GET", conversationPath(who.patient.id, c.id));
      recountOffice();
      renderConversation(now, who, names, notice("Your reply is sent. The family sees it under Messages."));
    },
  });

  page(
    CONVERSATION,
    status,
    h("p", { class: "whose" }, "Conversation with the family of ", h("strong", {}, name), `, ${clinicName}.`),
    h("section", { class: "card", "aria-labelledby": "subject-h" },
      h("h2", { id: "subject-h" }, c.subject),
      facts(rows),
      buttons.length ? h("div", { class: "actions" }, buttons) : null),
    h("section", { class: "card", "aria-labelledby": "messages-h" },
      h("h2", { id: "messages-h" }, "Messages, oldest first"),
      messageList(c.messages, names)),
    h("section", { class: "card", "aria-labelledby": "reply-h" },
      h("h2", { id: "reply-h" }, "Reply"),
      reply.el),
    notesCard(c),
    back(),
  );
  if (message) say(status, message);
}

function notesCard(c) {
  const notes = [...(c.notes ?? [])];
  const list = h("ul", { class: "notes" });
  const status = h("div", { role: "status" });
  const draw = () => list.replaceChildren(...(notes.length
    ? notes.map((n) => h("li", {}, h("p", { class: "note" }, n.text), h("p", { class: "hint" }, `${n.author}, `, easternWhen(n.at))))
    : [h("li", { class: "hint" }, "No internal notes yet.")]));
  draw();
  const box = h("div");
  const build = () => form({
    fields: [{ name: "text", label: "Internal note — the family does not see it", term: "the note", type: "textarea", maxlength: 2000, rows: 3 }],
    submit: "Add note",
    onSubmit: async (v) => {
      const note = await api("POST", officePath(c.id, "notes"), { body: { text: v.text.trim() } });
      notes.push(note);
      c.notes = notes;
      draw();
      box.replaceChildren(build());
      say(status, notice("Note added."));
    },
  }).el;
  box.replaceChildren(build());
  return h("section", { class: "card", "aria-labelledby": "notes-h" },
    h("h2", { id: "notes-h" }, "Internal notes"),
    h("p", { class: "hint" }, "Only the clinic office sees these notes."),
    list, status, box);
}

// ---- one refill request

/** The request among its patient's (the office has no other way to it than its patient's
 * list), or null. */
async function findRefill(patientId, id) {
  let cursor = null;
  for (let pages = 0; pages < 10; pages += 1) {
    const q = new URLSearchParams({ limit: "100" });
    if (cursor) q.set("cursor", cursor);
    const p = await api("GET", patientPath(patientId, `refill-requests?${q}`));
    const found = p.items.find((r) => r.id === id);
    if (found) return found;
    cursor = p.cursor ?? null;
    if (!cursor) return null;
  }
  return null;
}

async function showRefill(id, message = null) {
  let who;
  let r;
  try {
    who = await whoseItem(id);
    r = who ? await findRefill(who.patient.id, id) : null;
  } catch (error) {
    page(REFILL, alertBox(error.message), back());
    return;
  }
  if (!r) {
    page(REFILL, alertBox("This refill request is not in this tab's inbox any more. Open it from the inbox."), back());
    return;
  }
  renderRefill(r, who, await clinicNames(), message);
}

function renderRefill(r, who, names, message) {
  const clinicName = names.get(r.clinic) ?? r.clinic;
  const name = fullName(who.patient);
  const status = h("div", { role: "status" });
  const waiting = r.items.filter((i) => i.status === "requested");
  const extra = [["Patient", `${name}, born ${who.patient.birth_date}`], ["Clinic", clinicName]];
  if (r.status === "requested" && who.ageDays !== null && who.ageDays !== undefined) extra.push(["Waiting", waited(who.ageDays)]);

  const answered = r.items.filter((i) => i.status !== "requested");
  const answeredList = answered.length
    ? h("ul", { class: "refill-items" }, answered.map((i) => h("li", {}, h("span", { class: "refill-name" }, i.name), ": ", refillItemState(i, { family: false }))))
    : null;

  let answerCard = null;
  if (waiting.length) {
    const index = (item) => r.items.indexOf(item);
    const fields = waiting.flatMap((item) => {
      const i = index(item);
      const left = refillsLeft(item.refills_left);
      return [
        { name: `a${i}.status`, label: `${item.name}${left ? ` (${left})` : ""}`, term: `an answer for ${item.name}`, type: "radios", required: false, single: true,
          hint: item.refills_left === 0 ? "No refills are left on this prescription." : null,
          options: [
            { value: "approved", label: `Approve: send to ${r.pharmacy.name}` },
            { value: "denied", label: "Deny (give the reason below)" },
            { value: "needs-appointment", label: "Needs an appointment" },
          ] },
        { name: `a${i}.reason`, label: `Reason for denying ${item.name}`, term: "the reason", type: "textarea", maxlength: 1000, rows: 2, required: false,
          hint: "Only when denying. The family reads it." },
      ];
    });
    // Which answer of the request sent is which medication (the API names `answers[k]`).
    let sentFor = [];
    const f = form({
      fields,
      submit: "Send answers",
      onSubmit: async (v) => {
        const answers = [];
        sentFor = [];
        for (const item of waiting) {
          const i = index(item);
          const chosen = v[`a${i}.status`];
          if (!chosen) continue;
          const reason = v[`a${i}.reason`].trim();
          if (chosen === "denied" && !reason) throw fieldError(`a${i}.reason`, `Enter the reason for denying ${item.name}: the family reads it.`);
          answers.push({ medication_id: item.medication_id, status: chosen, ...(chosen === "denied" ? { reason } : {}) });
          sentFor.push(i);
        }
        if (!answers.length) throw fieldError(`a${index(waiting[0])}.status`, "Choose an answer for at least one medication.");
        const answer = await api("POST", `/api/office/refill-requests/${encodeURIComponent(r.id)}/answer`, { body: { answers, version: r.version } });
        recountOffice();
        renderRefill(answer, who, names, notice(answer.status === "answered"
          ? "Answers sent. Every medication is answered; the family sees the answers under Messages."
          : "Answers sent. The family sees them under Messages; the other medications still wait for an answer."));
      },
      onError: (error) => {
        if (error.status === 409) {
          (async () => {
            try {
              const now = await findRefill(who.patient.id, r.id);
              if (now) renderRefill(now, who, names, alertBox(SOMEONE_ELSE.refill));
              else say(status, alertBox(SOMEONE_ELSE.refill));
            } catch (e) {
              say(status, alertBox(e.message));
            }
          })();
          return true;
        }
        const m = /^answers\[(\d+)\]\.(\w+)$/.exec(error.field ?? "");
        if (m && sentFor[Number(m[1])] !== undefined) {
          error.field = `a${sentFor[Number(m[1])]}.${m[2] === "reason" ? "reason" : "status"}`;
        }
        return false;
      },
    });
    answerCard = h("section", { class: "card", "aria-labelledby": "answer-h" },
      h("h2", { id: "answer-h" }, "Answer"),
      h("p", { class: "hint" }, "Answer each medication. An approved one is sent to the pharmacy above; the family sees every answer under Messages."),
      f.el);
  }

  page(
    REFILL,
    status,
    h("p", { class: "whose" }, "Refill request of ", h("strong", {}, name), `, ${clinicName}.`),
    h("section", { class: "card", "aria-labelledby": "refill-h" },
      h("h2", { id: "refill-h" }, `${r.items.length === 1 ? "1 medication" : `${r.items.length} medications`}: ${REFILL_REQUEST_STATUSES[r.status] ?? r.status}`),
      refillFacts(r, { extra }),
      answeredList ? [h("h3", {}, "Answered"), answeredList] : null),
    answerCard,
    back(),
  );
  if (message) say(status, message);
}
