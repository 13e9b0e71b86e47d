// "Medical Record": what the hospital's laboratory and clinics sent for the child: lab
// results, Lab Diagnostic Reports, Immunization Records and Medications (the FAQ's "Medical
// Record > Lab Diagnostic Reports").

import { familyPatient, possessive, whose } from "../patient.js";
import { h, link, page } from "../ui.js";

const TITLE = "Medical Record";

function item(href, title, text) {
  return h("li", {}, link(href, title), h("span", { class: "hint" }, ` ${text}`));
}

export function show() {
  const patient = familyPatient(TITLE, show);
  if (!patient) return;
  const whoseName = possessive(patient.given_name);
  page(
    TITLE,
    whose(patient.given_name),
    h("p", { class: "lead" }, "Results are shown as soon as the lab sends them, sometimes before the doctor has seen them. If a result worries you, please call your provider's office."),
    h("section", { class: "card", "aria-labelledby": "record-h" },
      h("h2", { id: "record-h" }, `${whoseName} Medical Record`),
      h("ul", { class: "links" },
        item("/medical-record/results", "Lab results", "Every result, newest first, with its reference range and a chart of earlier values."),
        item("/medical-record/reports", "Lab Diagnostic Reports", "The lab's reports: each with its conclusion and its results."),
        item("/medical-record/immunizations", "Immunization Records", "Every vaccine given; print it for school, or download it for another doctor (FHIR)."),
        item("/medical-record/medications", "Medications", "Active prescriptions: dosage, prescriber, refills left. Ask for refills under Messages."))),
  );
}
