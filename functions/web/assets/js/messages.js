// Messages and "Refill medications" as the family's and the office's pages show them: the
// sentence said before anything is sent, a conversation's messages with who wrote them,
// a refill request's medications with the office's answer for each, and the lists'
// requests. Times are Eastern Time, the hospital's, as on the Appointments pages.

import { api } from "./api.js";
import { easternWhen } from "./appointments.js";
import { patientPath } from "./records.js";
import * as session from "./session.js";
import { facts, h, link } from "./ui.js";
import { AUTHOR_KINDS, CONVERSATION_STATUSES, REFILL_REQUEST_STATUSES, REFILL_STATUSES } from "./words.js";

/** Said before a family sends anything (the FAQ's words). */
export const BY_PHONE = "Please contact your office directly by phone today if you are having problems or need to be seen.";

export const SUBJECT_MAX = 120;
export const BODY_MAX = 5000;
export const NOTE_MAX = 1000;

function paged(path, limit, cursor) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return api("GET", `${path}?${query}`);
}

/** One page of the patient's conversations, newest activity first. */
export function conversationsPage(patientId, limit = 25, cursor = null) {
  return paged(patientPath(patientId, "conversations"), limit, cursor);
}

/** One page of the patient's refill requests, newest first. */
export function refillRequestsPage(patientId, limit = 25, cursor = null) {
  return paged(patientPath(patientId, "refill-requests"), limit, cursor);
}

export function conversationPath(patientId, conversationId, what = "") {
  return patientPath(patientId, `conversations/${encodeURIComponent(conversationId)}${what}`);
}

export function conversationStatus(status) {
  return CONVERSATION_STATUSES[status] ?? status;
}

/** "1 new message", "3 new messages". */
export function newMessages(n) {
  return n === 1 ? "1 new message" : `${n} new messages`;
}

/** Who wrote a message: the office by name and clinic; the family as "You" when it is the
 * reader's own account, else by username. */
export function authorText(from, names) {
  if (from.kind === "staff") {
    const clinic = from.clinic ? names.get(from.clinic) ?? from.clinic : null;
    return [from.name, clinic ? `${AUTHOR_KINDS.staff}, ${clinic}` : AUTHOR_KINDS.staff].join(", ");
  }
  const me = session.current()?.username;
  if (!session.isStaff() && me && from.name?.toLowerCase() === me.toLowerCase()) return "You";
  return `${from.name} (${AUTHOR_KINDS.family.toLowerCase()})`;
}

/** The messages of a conversation, oldest first, each with who wrote it and when. */
export function messageList(messages, names) {
  return h("ol", { class: "messages" }, messages.map((m) => h("li", { class: `message message-${m.from.kind}` },
    h("p", { class: "message-head" }, h("strong", {}, authorText(m.from, names)), h("span", { class: "hint" }, " · ", easternWhen(m.sent_at))),
    h("p", { class: "note message-body" }, m.body))));
}

/** "2 refills left", "1 refill left", "none left"; null when the prescription does not say. */
export function refillsLeft(n) {
  if (n === undefined || n === null) return null;
  if (n === 0) return "none left";
  return n === 1 ? "1 refill left" : `${n} refills left`;
}

/** Where one medication of a refill request stands, in words with what goes with it: the
 * pharmacy it was sent to, the office's reason, or (for the family) New Appointment. */
export function refillItemState(item, { family = true } = {}) {
  const words = h("strong", {}, REFILL_STATUSES[item.status] ?? item.status);
  switch (item.status) {
    case "approved":
      return [words, item.sent_to ? `: sent to ${item.sent_to}.` : "."];
    case "denied":
      return item.reason ? [words, ". The office's reason: ", h("span", { class: "note" }, item.reason)] : [words, "."];
    case "needs-appointment":
      return family
        ? [words, ": the office needs to see the patient first. Ask for a visit with ", link("/appointments/new", "New Appointment"), "."]
        : [words, "."];
    default:
      return words;
  }
}

/** The medications of a refill request with the office's answer for each. */
export function refillItems(r, { family = true } = {}) {
  return h("ul", { class: "refill-items" }, r.items.map((item) => h("li", {},
    h("span", { class: "refill-name" }, item.name),
    refillsLeft(item.refills_left) ? h("span", { class: "hint" }, ` (${refillsLeft(item.refills_left)} when asked)`) : null,
    ": ", refillItemState(item, { family }))));
}

/** A refill request's facts: when, the pharmacy, where it stands, the family's note. */
export function refillFacts(r, { extra = [] } = {}) {
  const rows = [
    ["Sent", easternWhen(r.created)],
    ["Pharmacy", [r.pharmacy.name, h("span", { class: "hint block" }, `${r.pharmacy.address} · ${r.pharmacy.phone}`),
      r.preferred_pharmacy ? h("span", { class: "hint block" }, "The preferred pharmacy (Additional information)") : null]],
    ["Status", REFILL_REQUEST_STATUSES[r.status] ?? r.status],
    ...extra,
  ];
  if (r.updated !== r.created) rows.splice(1, 0, ["Changed", easternWhen(r.updated)]);
  if (r.note) rows.push(["Note", h("span", { class: "note" }, r.note)]);
  if (r.confidential) rows.push(["Confidential", "Yes: a medication of it is kept from parents and guardians."]);
  return facts(rows);
}
