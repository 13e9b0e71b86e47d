// "New Appointment": the family asks the child's clinic for a visit: what kind, why, the
// days and times of day that suit them, the earliest date, and the phone the office calls
// back (from Pt Demographics). Before anything is sent the page says to phone the office
// for a visit today. One Idempotency-Key per form load, so a double click (or pressing the
// button again after a failure) makes one request. A patient's own account (12+) may keep
// the request from their parents and guardians.

import { api, clinicNames, clinics, newKey } from "../api.js";
import { addDays, easternToday } from "../appointments.js";
import { familyPatient, loadedRecord, possessive, whose } from "../patient.js";
import { patientPath } from "../records.js";
import { form, h, link, page } from "../ui.js";
import { DAYS, REQUEST_KINDS, TIMES_OF_DAY, options } from "../words.js";

const TITLE = "New Appointment";
export const SAME_DAY = "Please contact your office directly by phone if you need to be seen today.";
const REASON_MAX = 1000;

/** The clinic's id from the demographics answer (an id, or { id, name }), when it has it. */
function clinicOf(record) {
  const c = record.clinic;
  if (typeof c === "string") return c;
  return c?.id ?? null;
}

/** The phone to call back: a mobile first, else the first one given. */
function callBack(phones) {
  return (phones.find((p) => p.kind === "mobile") ?? phones[0])?.number ?? "";
}

export async function show(ctx = {}) {
  const child = familyPatient(TITLE, () => show(ctx));
  if (!child) return;
  const record = await loadedRecord(TITLE, child.given_name, api("GET", patientPath(child.id, "demographics")));
  if (!record) return;
  const names = await clinicNames();
  const own = child.relationship === "self";
  const whoseName = possessive(child.given_name);
  const key = newKey();

  // A patient's requests go to their clinic. When the answer does not name it, every
  // clinic is offered and the API refuses any other than the patient's.
  const clinicId = clinicOf(record);
  const clinicOptions = clinicId
    ? [{ value: clinicId, label: names.get(clinicId) ?? clinicId }]
    : (await clinics().catch(() => [])).map((c) => ({ value: c.id, label: c.name }));
  const today = easternToday();

  const fields = [
    { name: "clinic", label: "Clinic", options: clinicOptions, value: clinicId ?? undefined,
      hint: clinicId ? `${whoseName} clinic: the office that answers this request.` : `The clinic that looks after ${child.given_name}.` },
    { name: "kind", label: "Kind of visit", term: "the kind of visit", type: "radios",
      options: options(REQUEST_KINDS).filter((o) => o.value !== "cancel") },
    { name: "reason", label: "Reason for the visit", term: "the reason for the visit", type: "textarea", maxlength: REASON_MAX,
      hint: "What the visit is about, in a few words. The office reads it before calling you." },
    { name: "days", label: "Days that suit you", term: "at least one day that suits you", type: "checkboxes", options: options(DAYS) },
    { name: "times", label: "Times of day that suit you", term: "at least one time of day that suits you", type: "checkboxes", options: options(TIMES_OF_DAY) },
    { name: "earliest", label: "Earliest date", term: "the earliest date", type: "date", value: today, min: today, max: addDays(today, 365),
      hint: "The first day you could come in: today or later, up to a year ahead." },
    { name: "phone", label: "Phone number to call you back", term: "the phone number to call you back", type: "tel", autocomplete: "tel",
      value: callBack(record.phones), hint: "From Pt Demographics. Change it here if another number is better today." },
  ];
  if (own) {
    fields.push({ name: "confidential", label: "Privacy", type: "checkboxes", required: false,
      hint: "Only you and the clinic office see a confidential request.",
      options: [{ value: "yes", label: "Keep this request confidential: my parents or guardians do not see it" }] });
  }

  const f = form({
    fields,
    submit: "Send request",
    onSubmit: async (v) => {
      const body = {
        clinic: v.clinic,
        kind: v.kind,
        reason: v.reason.trim(),
        days: v.days,
        times: v.times,
        earliest: v.earliest,
        phone: v.phone.trim(),
      };
      if (own) body.confidential = v.confidential.includes("yes");
      // The same key however often it is pressed: the API makes one request of it.
      await api("POST", patientPath(child.id, "appointment-requests"), { body, key });
      const clinic = clinicOptions.find((o) => o.value === v.clinic)?.label ?? "The clinic";
      ctx.go?.("/appointments", `Your request is sent. ${clinic} will call you back at ${body.phone}. It shows under Your requests until the office answers.`);
    },
  });

  page(
    TITLE,
    whose(child.given_name),
    h("p", { class: "callout" }, SAME_DAY),
    h("p", { class: "lead" }, `Ask ${whoseName} clinic for a visit. The office calls you back to find a time; the visit then shows under `, link("/appointments", "Appointments"), "."),
    h("div", { class: "card" }, f.el),
  );
}
