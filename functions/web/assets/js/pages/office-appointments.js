// For clinic office staff and admins: "Appointment requests", the queue of the families'
// requests of their clinics (admins: every clinic), oldest first with how long each has
// waited, by clinic and status. Opening one (`?id=<request id>`, an audited read of the
// patient) shows it with its internal notes, and answers it: Schedule (a date and time in
// Eastern Time, sent as an instant with that day's offset), Decline (with a reason the
// family sees), Confirm (a family's request to cancel a visit) or Add note (never shown to
// the family). Every answer sends the request's `version`: when someone else answered
// first, the page says so and shows the request as it is now.

import { api, clinicNames } from "../api.js";
import {
  EASTERN_LABEL, dateText, easternInstant, easternRfc3339, easternToday, easternWhen, kindText,
  requestState, visitWhen, waited,
} from "../appointments.js";
import { recountOffice } from "../counts.js";
import { say } from "../records.js";
import * as session from "../session.js";
import { alertBox, facts, fieldError, form, h, link, notice, page, pagedTable } from "../ui.js";
import { DAYS, REQUEST_STATUSES, TIMES_OF_DAY, options } from "../words.js";

const TITLE = "Appointment requests";
const BASE = "/office/appointments";
const LENGTHS = [10, 15, 20, 30, 45, 60, 90, 120];
// The queue's list by the status it shows.
const LISTS = {
  requested: "Open requests",
  scheduled: "Scheduled requests",
  declined: "Declined requests",
  cancelled: "Requests the family cancelled",
  confirmed: "Confirmed cancellations",
};

function requestPath(id, action = "") {
  return `/api/office/appointment-requests/${encodeURIComponent(id)}${action}`;
}

function requestHref(id) {
  return `${BASE}?id=${encodeURIComponent(id)}`;
}

export function show(ctx = {}) {
  const query = ctx.query ?? new URLSearchParams();
  const id = query.get("id");
  if (id) return showRequest(id, ctx);
  return showQueue(ctx, query);
}

// ---- the queue

/** The clinics the signed-in account may filter by: an admin's every clinic, staff's own. */
async function filterClinics(names) {
  if (session.isAdmin()) return [...names.entries()].map(([value, label]) => ({ value, label }));
  return (session.current()?.clinics ?? []).map((c) => ({ value: c, label: names.get(c) ?? c }));
}

// Where "Back to the requests" goes: the queue as last filtered.
let lastQueue = BASE;

async function showQueue(ctx, query) {
  const names = await clinicNames();
  const clinic = query.get("clinic") ?? "";
  const status = REQUEST_STATUSES[query.get("status")] ? query.get("status") : "requested";
  lastQueue = `${BASE}?${new URLSearchParams({ ...(clinic ? { clinic } : {}), status })}`;
  const mine = await filterClinics(names);
  const several = session.isAdmin() || mine.length > 1;

  const filters = form({
    fields: [{ fields: [
      ...(several ? [{ name: "clinic", label: "Clinic", options: mine, value: clinic, required: false,
        placeholder: session.isAdmin() ? "Every clinic" : "All your clinics" }] : []),
      { name: "status", label: "Status", options: options(REQUEST_STATUSES), value: status },
    ] }],
    submit: "Show requests",
    onSubmit: async (v) => {
      const q = new URLSearchParams();
      if (v.clinic) q.set("clinic", v.clinic);
      q.set("status", v.status);
      ctx.go(`${BASE}?${q}`);
    },
  });

  const next = (cursor) => {
    const q = new URLSearchParams({ status, limit: "50" });
    if (clinic) q.set("clinic", clinic);
    if (cursor) q.set("cursor", cursor);
    return api("GET", `/api/office/appointment-requests?${q}`);
  };
  let first;
  try {
    first = await next(null);
  } catch (error) {
    page(TITLE, alertBox(error.message), h("div", { class: "card" }, filters.el));
    return;
  }
  if (status === "requested" && !clinic) recountOffice();
  const row = (r) => h("tr", {},
    h("td", {}, waited(r.age_days)),
    h("td", {},
      link(requestHref(r.id), `${r.patient.family_name}, ${r.patient.given_name}`),
      h("span", { class: "hint block" }, `Born ${r.patient.birth_date}`)),
    h("td", {}, kindText(r.kind), r.confidential ? h("span", { class: "hint block" }, "Confidential") : null),
    h("td", {}, names.get(r.clinic) ?? r.clinic),
    h("td", {}, easternWhen(r.created, { label: false })));
  const caption = `${LISTS[status]}${clinic ? ` of ${names.get(clinic) ?? clinic}` : ""}, oldest first`;
  const list = await pagedTable(caption, ["Waiting", "Patient", "Kind", "Clinic", `Sent (${EASTERN_LABEL})`],
    { next, row, noun: "requests", first, moreLabel: "More requests" });
  page(
    TITLE,
    ctx.flash ? notice(ctx.flash) : null,
    h("p", { class: "lead" }, session.isAdmin()
      ? "The families' requests for a visit, of every clinic. Open one to schedule it, decline it or add an internal note."
      : "The families' requests for a visit, of your clinics. Open one to schedule it, decline it or add an internal note."),
    h("div", { class: "card" }, filters.el),
    h("section", { class: "card", "aria-labelledby": "queue-h" },
      h("h2", { id: "queue-h" }, "Requests"),
      list.count === 0 ? h("p", {}, `${LISTS[status]}: none.`) : list.el),
  );
}

// ---- one request

function back() {
  return h("p", {}, link(lastQueue, "Back to the appointment requests"));
}

async function showRequest(id, ctx) {
  let item;
  try {
    item = await api("GET", requestPath(id));
  } catch (error) {
    page("Appointment request", alertBox(error.message), back());
    return;
  }
  render(item, await clinicNames(), ctx.flash ? notice(ctx.flash) : null);
}

/** Someone else answered first: the request as it is now, and why nothing was saved. */
async function changedElsewhere(id) {
  let item;
  try {
    item = await api("GET", requestPath(id));
  } catch (error) {
    page("Appointment request", alertBox(error.message), back());
    return;
  }
  render(item, await clinicNames(), alertBox("Someone else changed this request after you opened it, so your change was not saved. This is the request as it is now."));
  recountOffice();
}

function render(r, names, message = null) {
  const clinicName = names.get(r.clinic) ?? r.clinic;
  const name = `${r.patient.given_name} ${r.patient.family_name}`;
  const status = h("div", { role: "status" }, message);
  const open = r.status === "requested";

  const rows = [
    ["Patient", `${name}, born ${r.patient.birth_date}`],
    ["Clinic", clinicName],
    ["Kind", kindText(r.kind)],
    ["Status", requestState(r)],
    ["Sent", easternWhen(r.created)],
    ["Waiting", open ? waited(r.age_days) : "Answered"],
    ["Last changed", easternWhen(r.updated)],
  ];
  if (r.kind === "cancel") {
    rows.push(["Visit to cancel", r.appointment_start ? visitWhen(r.appointment_start) : "A booked visit"]);
  } else {
    rows.push(["Reason", h("span", { class: "note" }, r.reason)]);
  }
  if (r.days?.length) rows.push(["Days that suit", r.days.map((d) => DAYS[d] ?? d).join(", ")]);
  if (r.times?.length) rows.push(["Times of day", r.times.map((t) => TIMES_OF_DAY[t] ?? t).join(", ")]);
  if (r.earliest) rows.push(["Earliest date", dateText(r.earliest)]);
  if (r.phone) rows.push(["Call back on", r.phone]);
  if (r.confidential) rows.push(["Confidential", "Yes: the patient's own account asked that parents and guardians do not see it."]);
  if (r.kind === "cancel" && r.reason) rows.push(["Reason", h("span", { class: "note" }, r.reason)]);

  // After an answer: the request as the API gave it back, keeping the patient and notes.
  const answered = (answer, text) => {
    render({ ...r, ...answer, patient: r.patient, notes: r.notes }, names, notice(text));
    recountOffice();
  };
  const onError = (error) => {
    if (error.status !== 409) return false;
    changedElsewhere(r.id);
    return true;
  };

  const sections = [];
  if (open && r.kind !== "cancel") sections.push(scheduleCard(r, clinicName, answered, onError));
  if (open && r.kind === "cancel") sections.push(confirmCard(r, answered, onError));
  if (open) sections.push(declineCard(r, answered, onError));
  sections.push(notesCard(r));

  page(
    "Appointment request",
    status,
    h("p", { class: "whose" }, "Request of ", h("strong", {}, name), `, ${clinicName}.`),
    h("section", { class: "card", "aria-labelledby": "request-h" },
      h("h2", { id: "request-h" }, `${kindText(r.kind)}: ${REQUEST_STATUSES[r.status] ?? r.status}`),
      facts(rows)),
    ...sections,
    back(),
  );
  // The heading is focused by `page`; a message after an answer is read out first.
  if (message) say(status, message);
}

function scheduleCard(r, clinicName, answered, onError) {
  const today = easternToday();
  const day = r.earliest && r.earliest > today ? r.earliest : today;
  const f = form({
    fields: [
      { fields: [
        { name: "date", label: "Date", type: "date", value: day, min: today },
        { name: "start", label: `Start time (${EASTERN_LABEL})`, term: "the start time", type: "time" },
        { name: "end", label: "Length", term: "the length", options: LENGTHS.map((m) => ({ value: String(m), label: `${m} minutes` })), value: "30" },
      ] },
      { name: "provider", label: "Provider", required: false, hint: "As the family should know them, e.g. Dr. Rivera." },
      { name: "location", label: "Location", required: false, hint: "Building, floor or room, when it is not the clinic's front desk." },
      { name: "instructions", label: "Instructions for the family", type: "textarea", maxlength: 2000, rows: 3, required: false,
        hint: "What to bring or do before the visit. The family sees this." },
    ],
    submit: "Schedule",
    onSubmit: async (v) => {
      const startMs = easternInstant(v.date, v.start);
      if (startMs === null) throw fieldError("start", "That time does not exist on that day in Eastern Time: the clocks go forward. Choose another time.");
      const body = {
        start: easternRfc3339(startMs),
        end: easternRfc3339(startMs + Number(v.end) * 60_000),
        version: r.version,
      };
      for (const k of ["provider", "location", "instructions"]) if (v[k].trim()) body[k] = v[k].trim();
      const answer = await api("POST", requestPath(r.id, "/schedule"), { body });
      answered(answer, `Scheduled for ${visitWhenTextOf(answer, body)} at ${clinicName}. The family sees the visit under Appointments.`);
    },
    onError,
  });
  return h("section", { class: "card", "aria-labelledby": "schedule-h" },
    h("h2", { id: "schedule-h" }, "Schedule"),
    h("p", { class: "hint" }, `The date and time are ${EASTERN_LABEL}, the clinic's. The portal records the visit; it shows to the family as upcoming.`),
    f.el);
}

function visitWhenTextOf(answer, body) {
  return visitWhen(answer.appointment_start ?? body.start, body.end).textContent;
}

function declineCard(r, answered, onError) {
  const f = form({
    fields: [{ name: "reason", label: "Reason for declining", term: "the reason for declining", type: "textarea", maxlength: 1000, rows: 3,
      hint: "The family sees this: say what they can do instead." }],
    submit: r.kind === "cancel" ? "Decline the cancellation" : "Decline",
    onSubmit: async (v) => {
      const answer = await api("POST", requestPath(r.id, "/decline"), { body: { reason: v.reason.trim(), version: r.version } });
      answered(answer, "Declined. The family sees the reason under Appointments.");
    },
    onError,
  });
  return h("section", { class: "card", "aria-labelledby": "decline-h" },
    h("h2", { id: "decline-h" }, "Decline"), f.el);
}

function confirmCard(r, answered, onError) {
  const f = form({
    fields: [],
    submit: "Confirm the cancellation",
    onSubmit: async () => {
      const answer = await api("POST", requestPath(r.id, "/confirm"), { body: { version: r.version } });
      answered(answer, "The cancellation is confirmed: the visit is cancelled in the portal.");
    },
    onError,
  });
  return h("section", { class: "card", "aria-labelledby": "confirm-h" },
    h("h2", { id: "confirm-h" }, "Confirm the cancellation"),
    h("p", {}, "The family asked to cancel this visit. Confirming cancels it in the portal; please cancel it in the scheduling system too."),
    f.el);
}

function notesCard(r) {
  const notes = [...(r.notes ?? [])];
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
      const note = await api("POST", requestPath(r.id, "/notes"), { body: { text: v.text.trim() } });
      notes.push(note);
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
