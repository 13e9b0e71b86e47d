// One lab diagnostic report: its status, when it was collected and issued, the lab's
// conclusion and its results, each linking to its own page.

import { api } from "../api.js";
import { resultsTable } from "../labs.js";
import { backTo, recordLoaded, recordPatient, whose } from "../patient.js";
import { fhirWhen, patientPath } from "../records.js";
import { alertBox, facts, h, link, page } from "../ui.js";
import { RESULT_STATUSES, STATUS_NOTES } from "../words.js";

const TITLE = "Lab report";

export async function show({ query }) {
  const id = query.get("id");
  const patient = await recordPatient(TITLE, () => show({ query }));
  if (!patient) return;
  if (!id) {
    page(TITLE, whose(patient.name), alertBox("No report was chosen."), h("p", {}, link("/medical-record/reports", "Lab Diagnostic Reports")));
    return;
  }
  const r = await recordLoaded(patient, TITLE, api("GET", patientPath(patient.id, `reports/${encodeURIComponent(id)}`)),
    "This report is not in the record. The lab may have withdrawn it: see the reports for what is there now.");
  if (!r) return;
  const note = STATUS_NOTES[r.status];
  page(
    r.name,
    whose(patient.name),
    note ? h("p", { class: `status-note status-${r.status}` }, note) : null,
    h("section", { class: "card", "aria-labelledby": "report-h" },
      h("h2", { id: "report-h" }, "The report"),
      facts([
        ["Status", RESULT_STATUSES[r.status] ?? r.status],
        ["Collected", r.effective ? fhirWhen(r.effective) : "Not given"],
        ["Issued", r.issued ? fhirWhen(r.issued) : "Not given"],
      ])),
    h("section", { class: "card", "aria-labelledby": "conclusion-h" },
      h("h2", { id: "conclusion-h" }, "Conclusion"),
      h("p", { class: "note" }, r.conclusion ?? "The lab gave no conclusion.")),
    h("section", { class: "card", "aria-labelledby": "results-h" },
      h("h2", { id: "results-h" }, "Results"),
      r.results.length
        ? resultsTable("The results of this report", r.results)
        : h("p", {}, "None of this report's results are in the portal.")),
    h("p", {}, link("/medical-record/reports", "Lab Diagnostic Reports")),
    backTo(patient),
  );
}
