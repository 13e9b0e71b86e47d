// One lab result: its value (or text), the reference range, the interpretation and status
// in words (a preliminary or corrected result says so first), when it was collected and
// issued, the lab's note and who performed it; for a numeric result, a chart of the test's
// values over time against the range, with the same numbers as a table.

import { api } from "../api.js";
import { historyChart, rangeText } from "../chart.js";
import { flagMark, reportHref, valueText } from "../labs.js";
import { backTo, recordLoaded, recordPatient, whose } from "../patient.js";
import { fhirWhen, patientPath } from "../records.js";
import { alertBox, facts, h, link, page } from "../ui.js";
import { FLAGS, RESULT_STATUSES, STATUS_NOTES } from "../words.js";

const TITLE = "Lab result";
const LOINC = "http://loinc.org";

/** The reference range in words: its bounds, the lab's text, or both. */
function rangeWords(r) {
  const range = r.reference_range;
  const parts = [rangeText(range, r.unit), range?.text].filter(Boolean);
  return parts.length ? parts.join("; ") : "None given by the lab";
}

function statusNote(status) {
  const note = STATUS_NOTES[status];
  return note ? h("p", { class: `status-note status-${status}` }, note) : null;
}

export async function show({ query }) {
  const id = query.get("id");
  const patient = await recordPatient(TITLE, () => show({ query }));
  if (!patient) return;
  if (!id) {
    page(TITLE, whose(patient.name), alertBox("No result was chosen."), h("p", {}, link("/medical-record/results", "View all results")));
    return;
  }
  const r = await recordLoaded(patient, TITLE, api("GET", patientPath(patient.id, `results/${encodeURIComponent(id)}`)),
    "This result is not in the record. The lab may have withdrawn it: see all results for what is there now.");
  if (!r) return;

  const rows = [
    ["Result", h("span", {}, valueText(r), " ", flagMark(r.flag))],
    ["Reference range", rangeWords(r)],
    ["Interpretation", r.interpretation ?? FLAGS[r.flag] ?? "None given by the lab"],
    ["Status", r.status === "final" ? RESULT_STATUSES.final : h("span", { class: `tag tag-${r.status}` }, RESULT_STATUSES[r.status] ?? r.status)],
    ["Collected", fhirWhen(r.effective)],
    ["Issued", r.issued ? fhirWhen(r.issued) : "Not given"],
    ["Performed by", r.performer ?? "Not given"],
  ];
  if (r.code?.system === LOINC) rows.push(["Test code", `LOINC ${r.code.code}`]);
  if (r.report_id) rows.push(["Report", link(reportHref(r.report_id), "See the lab's report")]);

  const numeric = typeof r.value === "number";
  const chart = numeric ? historyChart(r) : null;
  page(
    r.name,
    whose(patient.name),
    statusNote(r.status),
    h("section", { class: "card", "aria-labelledby": "result-h" },
      h("h2", { id: "result-h" }, "The result"),
      facts(rows)),
    r.note
      ? h("section", { class: "card", "aria-labelledby": "note-h" }, h("h2", { id: "note-h" }, "Note from the lab"), h("p", { class: "note" }, r.note))
      : null,
    numeric
      ? h("section", { class: "card", "aria-labelledby": "chart-h" },
          h("h2", { id: "chart-h" }, "This test over time"),
          chart ?? h("p", {}, "This is the only result of this test in the portal so far, so there is nothing to chart yet."))
      : null,
    h("p", { class: "no-print" }, link("/medical-record/results", "View all results")),
    backTo(patient),
  );
}
