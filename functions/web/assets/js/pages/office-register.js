// For clinic office staff: register a patient and create the family's portal account in
// one go. Each create carries an Idempotency-Key kept until its fields change, so pressing
// the button again after a failure never registers the patient twice.

import { api, clinics, newKey } from "../api.js";
import * as session from "../session.js";
import { facts, form, h, link, loadedFor, notice, page } from "../ui.js";
import { RELATIONSHIPS, options } from "../words.js";

export async function show({ go }) {
  const me = session.current();
  const list = await loadedFor("Register a patient", clinics());
  if (!list) return;
  const mine = session.isAdmin() ? list : list.filter((c) => me.clinics.includes(c.id));
  const keys = { patient: newKey(), account: newKey() };
  const f = form({
    fields: [
      { group: "Patient", fields: [
        { name: "given_name", label: "Patient's first name", autocomplete: "off" },
        { name: "family_name", label: "Patient's last name", autocomplete: "off" },
        { name: "birth_date", label: "Date of birth", type: "date" },
        { name: "clinic", label: "Clinic", options: mine.map((c) => ({ value: c.id, label: c.name })), value: mine.length === 1 ? mine[0].id : undefined },
        { name: "mrn", label: "Medical record number (MRN)", required: false },
      ] },
      { group: "Portal account", fields: [
        { name: "username", label: "Username", autocomplete: "off", hint: "3 to 64 letters, digits, dots, dashes or underscores. The family signs in with it." },
        { name: "email", label: "Email address", type: "email", autocomplete: "off", hint: "The login information is sent here." },
        { name: "relationship", label: "Account holder is the patient's", options: options(RELATIONSHIPS) },
      ] },
    ],
    submit: "Register and create account",
    onSubmit: async (v) => {
      const patientBody = { given_name: v.given_name.trim(), family_name: v.family_name.trim(), birth_date: v.birth_date, clinic: v.clinic };
      if (v.mrn.trim()) patientBody.mrn = v.mrn.trim();
      const patient = await api("POST", "/api/admin/patients", { body: patientBody, key: keys.patient });
      const account = await api("POST", "/api/admin/accounts", {
        body: { username: v.username.trim(), email: v.email.trim(), patient_id: patient.id, relationship: v.relationship },
        key: keys.account,
      });
      done(patient, account, go);
    },
  });
  // A changed patient is a new patient; a changed account (or patient) a new account.
  const patientFields = ["given_name", "family_name", "birth_date", "clinic", "mrn"];
  f.el.addEventListener("input", (event) => {
    if (patientFields.includes(event.target.name)) keys.patient = newKey();
    keys.account = newKey();
  });
  page(
    "Register a patient",
    h("p", { class: "lead" }, "Register the patient, then create the portal account. The family receives an email with the subject \"Portal login information\"."),
    h("div", { class: "card" }, f.el),
  );
}

function done(patient, account, go) {
  page(
    "Account created",
    notice(`The login information email has been sent to ${account.email}.`),
    h("section", { class: "card", "aria-labelledby": "done-h" },
      h("h2", { id: "done-h" }, "Portal account"),
      facts([
        ["Patient", `${patient.given_name} ${patient.family_name}`],
        ["Date of birth", patient.birth_date],
        ["Username", account.username],
        ["Email address", account.email],
        ["Email", 'Sent: "Portal login information"'],
      ])),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: () => go("/office/register") }, "Register another patient"),
      link("/office/accounts", "Find an account")),
  );
}
