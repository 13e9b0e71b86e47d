// "My Account" > "Who viewed or changed this record": the child's access log, newest first;
// office staff are shown by name and clinic.

import { familyPatient, loadedRecord, possessive, whose } from "../patient.js";
import { activityLog, patientPath } from "../records.js";
import { h, link, page } from "../ui.js";

const TITLE = "Who viewed or changed this record";

export async function show() {
  const patient = familyPatient(TITLE, show);
  if (!patient) return;
  const log = await loadedRecord(TITLE, patient.given_name, activityLog(patientPath(patient.id, "access-log"), `Who viewed or changed ${possessive(patient.given_name)} record, newest first`));
  if (!log) return;
  page(
    TITLE,
    whose(patient.given_name),
    h("p", { class: "lead" }, "Every time someone views or changes this record in the portal, it is written down here: you, the rest of the family, and clinic office staff by name and clinic."),
    h("section", { class: "card" }, log),
    h("p", {}, link("/account", "Back to My Account")),
  );
}
