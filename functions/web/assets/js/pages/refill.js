// "Refill medications": the family picks one or more of the child's active medications (with
// the refills each has left; one with none left can still be asked for, the office decides),
// the pharmacy (the preferred one of Additional information, or another they enter) and may
// add a note. One Idempotency-Key per form load, so a double click sends one request. The
// office's answer for each medication shows under Messages, "Your refill requests".

import { api, clinicNames, newKey } from "../api.js";
import { BY_PHONE, NOTE_MAX, refillsLeft } from "../messages.js";
import { familyPatient, loadedRecord, possessive, whose } from "../patient.js";
import { patientPath } from "../records.js";
import { fieldError, form, h, link, page } from "../ui.js";

const TITLE = "Refill medications";
const MOST = 20;

/** "Amoxicillin 250 mg capsule (2 refills left)", the dosage under it. */
function medicationLabel(m) {
  const left = refillsLeft(m.refills_left);
  return [h("strong", {}, m.name), left ? ` (${left})` : "", m.dosage ? " " : "", m.dosage ? h("span", { class: "hint block" }, m.dosage) : null];
}

export async function show(ctx = {}) {
  const child = familyPatient(TITLE, () => show(ctx));
  if (!child) return;
  const loaded = await loadedRecord(TITLE, child.given_name, Promise.all([
    api("GET", patientPath(child.id, "medications")),
    api("GET", patientPath(child.id, "additional-info")),
  ]));
  if (!loaded) return;
  const [medications, info] = loaded;
  const whoseName = possessive(child.given_name);
  const preferred = info.pharmacy ?? null;
  const key = newKey();

  if (medications.items.length === 0) {
    page(TITLE, whose(child.given_name),
      h("p", { class: "callout" }, BY_PHONE),
      h("div", { class: "card" },
        h("p", {}, `No active medications of ${whoseName} are in the portal, so there is nothing to refill here. Prescriptions show under `,
          link("/medical-record/medications", "Medications"), " once the prescriber's system sends them. Please call your office for a refill.")),
      h("p", {}, link("/messages", "Back to Messages")));
    return;
  }

  const pharmacyOptions = [];
  if (preferred) pharmacyOptions.push({ value: "preferred", label: `The preferred pharmacy: ${preferred.name}, ${preferred.address}, ${preferred.phone}` });
  pharmacyOptions.push({ value: "other", label: "Another pharmacy" });

  const f = form({
    fields: [
      { name: "medication_ids", label: "Medications to refill", term: "at least one medication", type: "checkboxes", single: true,
        hint: "A medication with none left can still be asked for: the office decides.",
        options: medications.items.map((m) => ({ value: m.id, label: medicationLabel(m) })) },
      { name: "pharmacy", label: "Pharmacy", term: "the pharmacy", type: "radios", single: true, value: preferred ? "preferred" : "other",
        hint: preferred ? null : "No preferred pharmacy is saved under Additional information; enter the pharmacy below.",
        options: pharmacyOptions },
      { group: "Another pharmacy", fields: [
        { name: "other.name", label: "Pharmacy name", required: false, maxlength: 100 },
        { name: "other.address", label: "Pharmacy address", required: false, maxlength: 200, hint: "Street, city or town." },
        { name: "other.phone", label: "Pharmacy phone", type: "tel", required: false },
      ] },
      { name: "note", label: "Note for the office", term: "the note", type: "textarea", maxlength: NOTE_MAX, rows: 3, required: false },
    ],
    submit: "Send refill request",
    onSubmit: async (v) => {
      if (v.medication_ids.length > MOST) throw fieldError("medication_ids", `Choose at most ${MOST} medications in one request.`);
      let pharmacy = "preferred";
      if (v.pharmacy === "other") {
        pharmacy = { name: v["other.name"].trim(), address: v["other.address"].trim(), phone: v["other.phone"].trim() };
        for (const [field, words] of [["name", "the pharmacy's name"], ["address", "the pharmacy's address"], ["phone", "the pharmacy's phone"]]) {
          if (!pharmacy[field]) throw fieldError(`other.${field}`, `Enter ${words}.`);
        }
        const digits = pharmacy.phone.replace(/\D/g, "").length;
        if (digits < 7 || digits > 15) throw fieldError("other.phone", "The pharmacy phone must be a phone number of 7 to 15 digits.");
      }
      const body = { medication_ids: v.medication_ids, pharmacy };
      if (v.note.trim()) body.note = v.note.trim();
      // The same key however often it is pressed: the API makes one request of it.
      const sent = await api("POST", patientPath(child.id, "refill-requests"), { body, key });
      const clinic = (await clinicNames()).get(sent.clinic) ?? "the clinic";
      ctx.go?.("/messages", `Your refill request is sent to ${clinic}. The office's answer for each medication shows under Your refill requests.`);
    },
    // The API names another pharmacy's fields under `pharmacy` (or, when one of them is not
    // taken, only `pharmacy` with a sentence not meant for people).
    onError: (error) => {
      if (error.field === "pharmacy" && f.values().pharmacy === "other" && /variant|untagged/.test(error.message)) {
        error.message = "Check the other pharmacy: its name (up to 100 characters), its address (up to 200) and its phone number (7 to 15 digits).";
        error.field = "other.name";
      } else if (error.field?.startsWith("pharmacy.")) {
        const field = error.field.replace("pharmacy.", "other.");
        error.message = error.message.split(error.field).join(field);
        error.field = field;
      }
      return false;
    },
  });

  // Another pharmacy's fields show only when it is chosen.
  const other = f.el.querySelector('[name="other.name"]').closest("fieldset");
  const sync = () => {
    other.hidden = f.values().pharmacy !== "other";
  };
  f.el.addEventListener("change", sync);
  sync();

  page(
    TITLE,
    whose(child.given_name),
    h("p", { class: "callout" }, BY_PHONE),
    h("p", { class: "lead" }, `Ask ${whoseName} clinic office to refill prescriptions. The office answers each medication; you see the answers under `,
      link("/messages", "Messages"), "."),
    h("div", { class: "card" }, f.el),
    h("p", {}, "The preferred pharmacy is kept under ", link("/account/additional-info", "Additional information"), "."),
  );
}
