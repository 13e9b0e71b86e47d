// "View all results": every lab result of the patient, newest first, 25 at a time with
// "More results". For a family the child it acts for; for the office the patient it opened.

import { RESULT_HEADINGS, resultRow, resultsPage } from "../labs.js";
import { backTo, possessive, recordLoaded, recordPatient, whose } from "../patient.js";
import { h, link, page, pagedTable } from "../ui.js";

const TITLE = "Lab results";

export async function show() {
  const patient = await recordPatient(TITLE, show);
  if (!patient) return;
  const next = (cursor) => resultsPage(patient, 25, cursor);
  const first = await recordLoaded(patient, TITLE, next(null));
  if (!first) return;
  const list = await pagedTable(`${possessive(patient.name)} lab results, newest first`, RESULT_HEADINGS,
    { next, row: resultRow, noun: "results", first, moreLabel: "More results" });
  page(
    TITLE,
    whose(patient.name),
    h("p", { class: "lead" }, "Click a test's name to see its reference range, the lab's note and a chart of its earlier values."),
    h("section", { class: "card" }, list.count === 0
      ? h("p", {}, "No lab results yet. Results appear here as soon as the lab sends them.")
      : list.el),
    h("p", {}, "The same results, as the lab reported them together, are under ", link("/medical-record/reports", "Lab Diagnostic Reports"), "."),
    backTo(patient),
  );
}
