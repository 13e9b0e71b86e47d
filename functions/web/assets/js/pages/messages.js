// "Messages": the family's conversations with the clinic office about the child it acts for,
// newest activity first, the ones with messages the family has not read marked (their
// count is on the menu and the welcome page); "Send A Message" and "Refill medications";
// and "Your refill requests" with the office's answer for each medication.

import { clinicNames } from "../api.js";
import { easternText, easternWhen } from "../appointments.js";
import { knownUnread, recountUnread, unreadText } from "../counts.js";
import { conversationStatus, conversationsPage, newMessages, refillFacts, refillItems, refillRequestsPage } from "../messages.js";
import { familyPatient, loadedRecord, possessive, whose } from "../patient.js";
import { facts, h, link, notice, page, pagedList } from "../ui.js";

const TITLE = "Messages";

export async function show(ctx = {}) {
  const child = familyPatient(TITLE, () => show(ctx));
  if (!child) return;
  const loaded = await loadedRecord(TITLE, child.given_name, Promise.all([
    conversationsPage(child.id),
    refillRequestsPage(child.id),
  ]));
  if (!loaded) return;
  const [conversations, refills] = loaded;
  const names = await clinicNames();
  const clinicName = (id) => names.get(id) ?? id;

  // The whole list is here when it has one page: its count is the menu's.
  const unread = h("p", { class: "unread-count" });
  const sayUnread = (n) => unread.replaceChildren(n === null ? "" : `${unreadText(n)}.`);
  if (!conversations.cursor) {
    const n = conversations.items.filter((c) => c.unread > 0).length;
    knownUnread(child.id, n);
    sayUnread(n);
  } else {
    recountUnread().then(sayUnread);
  }

  const conversationItem = (c, n) => {
    const headingId = `conversation-${n}`;
    const isNew = c.unread > 0;
    const rows = [
      ["Clinic", clinicName(c.clinic)],
      ["Last message", easternWhen(c.last_message_at)],
      ["Status", conversationStatus(c.status)],
    ];
    if (c.confidential) rows.push(["Confidential", "Yes: parents and guardians do not see it."]);
    return h("li", { class: isNew ? "conversation unread" : "conversation" },
      h("h3", { id: headingId },
        link(`/messages/conversation?id=${encodeURIComponent(c.id)}`, c.subject),
        isNew ? [" ", h("span", { class: "tag tag-unread" }, `Unread: ${newMessages(c.unread)}`)] : null),
      facts(rows));
  };
  const conversationList = pagedList({ first: conversations, next: (cursor) => conversationsPage(child.id, 25, cursor),
    item: conversationItem, noun: "conversations", moreLabel: "More conversations", listClass: "visits conversations" });

  const refillItem = (r, n) => h("li", { class: "request refill-request" },
    h("h3", { id: `refill-${n}` }, `Refill request of ${easternText(r.created)}`),
    refillFacts(r),
    refillItems(r));
  const refillList = pagedList({ first: refills, next: (cursor) => refillRequestsPage(child.id, 25, cursor),
    item: refillItem, noun: "refill requests", moreLabel: "More refill requests", listClass: "visits requests" });

  page(
    TITLE,
    whose(child.given_name),
    ctx.flash ? notice(ctx.flash) : null,
    h("p", { class: "lead" }, `Write to ${possessive(child.given_name)} clinic office, read its answers, and ask for prescription refills.`),
    h("p", { class: "top-actions actions" },
      link("/messages/new", "Send A Message", { class: "button-link" }),
      link("/messages/refill", "Refill medications", { class: "button-link" })),
    h("section", { class: "card", "aria-labelledby": "conversations-h" },
      h("h2", { id: "conversations-h" }, "Conversations"),
      conversationList.count === 0
        ? h("p", {}, "No messages yet. To write to the clinic office, use ", link("/messages/new", "Send A Message"), ".")
        : [unread, conversationList.el]),
    h("section", { class: "card", "aria-labelledby": "refills-h" },
      h("h2", { id: "refills-h" }, "Your refill requests"),
      refillList.count === 0
        ? h("p", {}, "No refill requests yet. To ask for one, use ", link("/messages/refill", "Refill medications"), ".")
        : refillList.el),
  );
}
