// "Medications": the patient's active prescriptions as the prescribers' systems sent them,
// newest written first: the medication (with its RxNorm code when given), the dosage, the
// prescriber, the refills left and the date written. For a family the child it acts for,
// with "Refill medications"; for the office the patient it opened in "Find a patient".

import { api } from "../api.js";
import { backTo, possessive, recordLoaded, recordPatient, whose } from "../patient.js";
import { fhirWhen, patientPath } from "../records.js";
import { h, link, page, table } from "../ui.js";

const TITLE = "Medications";

export async function show() {
  const patient = await recordPatient(TITLE, show);
  if (!patient) return;
  const loaded = await recordLoaded(patient, TITLE, api("GET", patientPath(patient.id, "medications")));
  if (!loaded) return;
  const { items } = loaded;

  const t = table(`${possessive(patient.name)} active medications, newest first`,
    ["Medication", "Dosage", "Prescriber", "Refills left", "Written"]);
  t.body.append(...items.map((m) => h("tr", {},
    h("td", {}, h("strong", {}, m.name), m.rxnorm ? h("span", { class: "hint block" }, `RxNorm ${m.rxnorm}`) : null),
    h("td", {}, m.dosage ?? h("span", { class: "hint" }, "Not given")),
    h("td", {}, m.prescriber ?? h("span", { class: "hint" }, "Not given")),
    h("td", {}, m.refills_left === undefined || m.refills_left === null
      ? h("span", { class: "hint" }, "Not given")
      : m.refills_left === 0 ? "None" : String(m.refills_left)),
    h("td", {}, fhirWhen(m.written, { time: false })))));

  page(
    TITLE,
    whose(patient.name),
    h("p", { class: "lead" }, "Prescriptions that are active now. A stopped or completed prescription is no longer listed."),
    h("section", { class: "card" }, items.length === 0
      ? h("p", {}, "No active medications in the portal. Prescriptions appear here when the prescriber's system sends them.")
      : t.el),
    patient.office ? null : h("p", {}, "To ask for a refill, use ", link("/messages/refill", "Refill medications"), " under Messages."),
    backTo(patient),
  );
}
