// "Send A Message": a new conversation with the office of the child's clinic: a subject (one
// line, up to 120 characters) and a message (up to 5,000, with a counter). Before anything
// is sent the page says to phone the office today for problems or to be seen (the FAQ's
// words). One Idempotency-Key per form load, so a double click (or pressing the button
// again after a failure) sends one message. A patient's own account (12+) may keep the
// conversation from their parents and guardians.

import { api, clinicNames, clinics, newKey } from "../api.js";
import { BODY_MAX, BY_PHONE, SUBJECT_MAX } from "../messages.js";
import { familyPatient, loadedRecord, possessive, whose } from "../patient.js";
import { patientPath } from "../records.js";
import { form, h, link, page } from "../ui.js";

const TITLE = "Send A Message";

export async function show(ctx = {}) {
  const child = familyPatient(TITLE, () => show(ctx));
  if (!child) return;
  const record = await loadedRecord(TITLE, child.given_name, api("GET", patientPath(child.id, "demographics")));
  if (!record) return;
  const names = await clinicNames();
  const own = child.relationship === "self";
  const key = newKey();

  // The office of the patient's clinic answers; the demographics answer names it. (Were it
  // missing, every clinic is offered and the API refuses any other than the patient's.)
  const clinicId = typeof record.clinic === "string" ? record.clinic : record.clinic?.id ?? null;
  const clinicOptions = clinicId
    ? [{ value: clinicId, label: names.get(clinicId) ?? clinicId }]
    : (await clinics().catch(() => [])).map((c) => ({ value: c.id, label: c.name }));

  const fields = [
    { name: "clinic", label: "Clinic", options: clinicOptions, value: clinicId ?? undefined,
      hint: clinicId ? `${possessive(child.given_name)} clinic: its office reads and answers your message.` : `The clinic that looks after ${child.given_name}.` },
    { name: "subject", label: "Subject", term: "a subject", maxlength: SUBJECT_MAX,
      hint: `What the message is about, in a few words (up to ${SUBJECT_MAX} characters).` },
    { name: "body", label: "Message", term: "your message", type: "textarea", maxlength: BODY_MAX, rows: 8 },
  ];
  if (own) {
    fields.push({ name: "confidential", label: "Privacy", type: "checkboxes", required: false,
      hint: "Only you and the clinic office see a confidential conversation.",
      options: [{ value: "yes", label: "Keep this conversation confidential: my parents or guardians do not see it" }] });
  }

  const f = form({
    fields,
    submit: "Send message",
    onSubmit: async (v) => {
      const body = { clinic: v.clinic, subject: v.subject.trim(), body: v.body };
      if (own) body.confidential = v.confidential.includes("yes");
      // The same key however often it is pressed: the API makes one conversation of it.
      const sent = await api("POST", patientPath(child.id, "conversations"), { body, key });
      const clinic = clinicOptions.find((o) => o.value === v.clinic)?.label ?? "the clinic";
      ctx.go?.(`/messages/conversation?id=${encodeURIComponent(sent.id)}`,
        `Your message is sent to ${clinic}. The office's answer will show here and under Messages.`);
    },
  });

  page(
    TITLE,
    whose(child.given_name),
    h("p", { class: "callout" }, BY_PHONE),
    h("p", { class: "lead" }, `Write to ${possessive(child.given_name)} clinic office. Its answer shows under `, link("/messages", "Messages"), "."),
    h("div", { class: "card" }, f.el),
  );
}
