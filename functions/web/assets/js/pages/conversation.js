// One conversation of the family with the clinic office (`/messages/conversation?id=…`):
// its messages, oldest first, with who wrote each (the office's by name and clinic), and a
// reply box. Opening it marks the office's messages read (the menu's count goes down). A
// reply carries one Idempotency-Key per form, so pressing the button again after a failure
// sends one message; a reply to a closed conversation opens it again.

import { api, clinicNames, newKey } from "../api.js";
import { recountUnread } from "../counts.js";
import { BODY_MAX, BY_PHONE, conversationPath, conversationStatus, messageList } from "../messages.js";
import { familyPatient, whose } from "../patient.js";
import { say } from "../records.js";
import { alertBox, facts, form, h, link, notice, page } from "../ui.js";

const TITLE = "Conversation";

function back() {
  return h("p", {}, link("/messages", "Back to Messages"));
}

export async function show(ctx = {}) {
  const child = familyPatient(TITLE, () => show(ctx));
  if (!child) return;
  const id = ctx.query?.get("id");
  if (!id) {
    page(TITLE, whose(child.given_name), alertBox("No conversation is chosen. Open one under Messages."), back());
    return;
  }
  let c;
  try {
    c = await api("GET", conversationPath(child.id, id));
  } catch (error) {
    const text = error.status === 404 ? "This conversation is not among the messages of this record." : error.message;
    page(TITLE, whose(child.given_name), alertBox(text), back());
    return;
  }
  // Read now: the menu's count as it is after this.
  recountUnread();
  const names = await clinicNames();
  const clinic = names.get(c.clinic) ?? c.clinic;
  const status = h("div", { role: "status" });

  const rows = [["Clinic", clinic], ["Status", conversationStatus(c.status)]];
  if (c.confidential) rows.push(["Confidential", "Yes: parents and guardians do not see it."]);

  const key = newKey();
  const reply = form({
    fields: [{ name: "body", label: "Your reply", term: "your reply", type: "textarea", maxlength: BODY_MAX, rows: 6,
      hint: c.status === "closed" ? "The office closed this conversation; your reply opens it again." : null }],
    submit: "Send reply",
    onSubmit: async (v) => {
      await api("POST", conversationPath(child.id, c.id, "/messages"), { body: { body: v.body }, key });
      show({ ...ctx, flash: `Your reply is sent to ${clinic}.` });
    },
  });

  page(
    TITLE,
    whose(child.given_name),
    status,
    h("section", { class: "card", "aria-labelledby": "subject-h" },
      h("h2", { id: "subject-h" }, c.subject),
      facts(rows),
      h("h3", {}, "Messages, oldest first"),
      messageList(c.messages, names)),
    h("section", { class: "card", "aria-labelledby": "reply-h" },
      h("h2", { id: "reply-h" }, "Reply"),
      h("p", { class: "callout" }, BY_PHONE),
      reply.el),
    back(),
  );
  if (ctx.flash) say(status, notice(ctx.flash));
}
