// The numbers beside the menu's entries. For the office: what waits in its clinics, from one
// call (GET /api/office/counts: open appointment requests, open conversations, refill
// requests not yet answered; it names no patient), asked once per sign-in and again when
// the office has answered something or shows a queue. For a family: the conversations of
// the child it acts for with messages from the office it has not read, asked once per
// sign-in and child, and again by the pages that know better (Messages, a conversation
// once read, the welcome page).

import { api } from "./api.js";
import { patientPath } from "./records.js";
import * as session from "./session.js";
import { h } from "./ui.js";

// ---- the office

let office = null;

/** `{ appointment_requests, conversations, refill_requests }` for the signed-in office
 * account, or null when it cannot be had. */
export function officeCounts() {
  const who = session.current()?.username ?? null;
  if (office?.who !== who) {
    office = { who, counts: session.isStaff() ? api("GET", "/api/office/counts").catch(() => null) : Promise.resolve(null) };
  }
  return office.counts;
}

/** Asks the office's counts again (something was answered, or a queue was shown) and
 * updates the menu. */
export function recountOffice() {
  office = null;
  fillAll();
}

/** What waits in the inbox: open conversations and refill requests not yet answered. */
export function inboxCount(counts) {
  return counts ? counts.conversations + counts.refill_requests : null;
}

// ---- a family's unread conversations

let unread = null;

function whoseKey(patientId) {
  return `${session.current()?.username ?? ""}/${patientId}`;
}

async function countUnread(patientId) {
  let cursor = null;
  let count = 0;
  // Newest activity first, so the unread ones are on the first pages; a family with more
  // than 500 conversations is told about the newest 500.
  for (let pages = 0; pages < 5; pages += 1) {
    const query = new URLSearchParams({ limit: "100" });
    if (cursor) query.set("cursor", cursor);
    const page = await api("GET", patientPath(patientId, `conversations?${query}`));
    count += page.items.filter((c) => c.unread > 0).length;
    cursor = page.cursor ?? null;
    if (!cursor) break;
  }
  return count;
}

/** How many of the child's conversations have messages from the office the family has not
 * read; null for staff, without a chosen child, or when it cannot be had. */
export function unreadCount() {
  const child = session.isStaff() ? null : session.chosenPatient();
  if (!child) return Promise.resolve(null);
  const key = whoseKey(child.id);
  if (unread?.key !== key) unread = { key, count: countUnread(child.id).catch(() => null) };
  return unread.count;
}

/** Asks the family's unread count again and updates the menu; resolves with it. */
export function recountUnread() {
  unread = null;
  fillAll();
  return unreadCount();
}

/** The count, known from a whole list a page just read (no second request). */
export function knownUnread(patientId, count) {
  unread = { key: whoseKey(patientId), count: Promise.resolve(count) };
  fillAll();
}

/** "1 unread conversation", "3 unread conversations", "No unread conversations". */
export function unreadText(n) {
  if (!n) return "No unread conversations";
  return n === 1 ? "1 unread conversation" : `${n} unread conversations`;
}

// ---- the menu's badges

const KINDS = {
  "appointment-requests": async () => {
    const c = await officeCounts();
    return c ? `${c.appointment_requests} open` : "";
  },
  inbox: async () => {
    const n = inboxCount(await officeCounts());
    return n === null ? "" : `${n} open`;
  },
  unread: async () => {
    const n = await unreadCount();
    return n ? `${n} unread` : "";
  },
};

/** The badge of the count `kind` for the menu entry whose link it describes (`id`). */
export function countBadge(kind, id) {
  const badge = h("span", { class: "menu-count", id, "data-count": kind });
  fill(badge);
  return badge;
}

function fill(badge) {
  const text = KINDS[badge.dataset.count];
  if (text) text().then((t) => { badge.textContent = t; });
}

function fillAll() {
  for (const badge of document.querySelectorAll(".menu-count[data-count]")) fill(badge);
}
