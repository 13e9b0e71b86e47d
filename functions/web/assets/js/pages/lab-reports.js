// "Medical Record > Lab Diagnostic Reports": the lab's reports, newest first, 25 at a time
// with "More reports"; each opens with its conclusion and its results.

import { api } from "../api.js";
import { reportHref, statusTag } from "../labs.js";
import { backTo, possessive, recordLoaded, recordPatient, whose } from "../patient.js";
import { fhirWhen, patientPath } from "../records.js";
import { h, link, page, pagedTable } from "../ui.js";
import { RESULT_STATUSES } from "../words.js";

const TITLE = "Lab Diagnostic Reports";

export async function show() {
  const patient = await recordPatient(TITLE, show);
  if (!patient) return;
  const next = (cursor) => {
    const query = new URLSearchParams({ limit: "25" });
    if (cursor) query.set("cursor", cursor);
    return api("GET", `${patientPath(patient.id, "reports")}?${query}`);
  };
  const first = await recordLoaded(patient, TITLE, next(null));
  if (!first) return;
  const row = (r) => h("tr", {},
    h("td", {}, link(reportHref(r.id), r.name), statusTag(r.status)),
    h("td", {}, r.issued ? fhirWhen(r.issued, { time: false }) : "Not given"),
    h("td", {}, RESULT_STATUSES[r.status] ?? r.status),
    h("td", {}, String(r.result_count)));
  const list = await pagedTable(`${possessive(patient.name)} lab diagnostic reports, newest first`, ["Report", "Issued", "Status", "Results"],
    { next, row, noun: "reports", first, moreLabel: "More reports" });
  page(
    TITLE,
    whose(patient.name),
    h("p", { class: "lead" }, "The lab's reports: the tests it reported together, with its conclusion."),
    h("section", { class: "card" }, list.count === 0
      ? h("p", {}, "No lab reports yet. They appear here as soon as the lab sends them.")
      : list.el),
    h("p", {}, "Every result on its own is under ", link("/medical-record/results", "Lab results"), "."),
    backTo(patient),
  );
}
