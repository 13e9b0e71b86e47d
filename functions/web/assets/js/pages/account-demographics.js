// "My Account" > "Pt Demographics": the child's address, phone numbers and email, to check
// before each visit. The name and date of birth are shown; only the office changes them.

import { api } from "../api.js";
import { familyPatient, loadedRecord, possessive, whose } from "../patient.js";
import { demographicsEditor, patientPath } from "../records.js";
import { h, link, page } from "../ui.js";

const TITLE = "Pt Demographics";

export async function show() {
  const patient = familyPatient(TITLE, show);
  if (!patient) return;
  const record = await loadedRecord(TITLE, patient.given_name, api("GET", patientPath(patient.id, "demographics")));
  if (!record) return;
  page(
    TITLE,
    whose(patient.given_name),
    h("p", { class: "lead" }, `Please check ${possessive(patient.given_name)} address and phone numbers before each visit.`),
    demographicsEditor(record),
    h("p", {}, "Emergency contacts and the preferred pharmacy are under ", link("/account/additional-info", "Additional information"), "."),
  );
}
