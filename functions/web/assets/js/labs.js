// Lab results as every page shows them: a result's value, its flag and status in words, the
// table of results (the welcome page, "View all results", a report, the office's patient
// record) and the "Latest lab results" section. A flag is always words, never colour alone.

import { api } from "./api.js";
import { fhirWhen, patientPath } from "./records.js";
import { alertBox, h, link, table } from "./ui.js";
import { FLAGS, RESULT_STATUSES } from "./words.js";

/** The page of one result; the id (a portal record id, which tells nothing) in the query,
 * since the pages are found by their path alone. */
export function resultHref(id) {
  return `/medical-record/result?id=${encodeURIComponent(id)}`;
}

export function reportHref(id) {
  return `/medical-record/report?id=${encodeURIComponent(id)}`;
}

/** "13.2 g/dL", a text or coded result as the lab wrote it, or "No value". */
export function valueText(r) {
  if (r.value === undefined || r.value === null) return "No value";
  return typeof r.value === "number" && r.unit ? `${r.value} ${r.unit}` : String(r.value);
}

/** The flag in words: marked when the value is outside its range, plain "Normal" when in
 * it, nothing when the lab gave no range or interpretation. */
export function flagMark(flag) {
  if (!flag) return null;
  const words = FLAGS[flag] ?? flag;
  if (flag === "normal") return h("span", { class: "flag" }, words);
  return h("strong", { class: flag.startsWith("critical") ? "flag flag-out flag-critical" : "flag flag-out" }, words);
}

/** A tag beside a result or report that is not simply final: "Preliminary", "Corrected". */
export function statusTag(status) {
  if (status === "final") return null;
  return [" ", h("span", { class: `tag tag-${status}` }, RESULT_STATUSES[status] ?? status)];
}

export const RESULT_HEADINGS = ["Test", "Result", "Flag", "Collected"];

/** One row of a results table: the test's name links to its page. */
export function resultRow(r) {
  return h("tr", {},
    h("td", {}, link(resultHref(r.id), r.name), statusTag(r.status)),
    h("td", {}, valueText(r)),
    h("td", {}, flagMark(r.flag)),
    h("td", {}, fhirWhen(r.effective, { time: false })));
}

/** A table of `results` under `caption`. */
export function resultsTable(caption, results) {
  const t = table(caption, RESULT_HEADINGS);
  t.body.append(...results.map(resultRow));
  return t.el;
}

/** Results for `patient` ({ id, name }), newest first: one page of `limit` after `cursor`. */
export function resultsPage(patient, limit, cursor = null) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return api("GET", `${patientPath(patient.id, "results")}?${query}`);
}

/** "Latest lab results": the newest few of `patient` with "View all results", filled in
 * when they arrive so that the page around it does not wait. */
export function latestResults(patient, count = 5) {
  const body = h("div", { "aria-busy": "true" }, h("p", {}, "Loading the latest lab results…"));
  const section = h("section", { class: "card", "aria-labelledby": "latest-h" },
    h("h2", { id: "latest-h" }, "Latest lab results"), body);
  resultsPage(patient, count)
    .then(({ items }) => {
      body.replaceChildren(...(items.length
        ? [resultsTable(`The ${items.length === 1 ? "newest lab result" : `${items.length} newest lab results`}, newest first`, items),
           h("p", {}, link("/medical-record/results", "View all results"))]
        : [h("p", {}, "No lab results yet. Results appear here as soon as the lab sends them.")]));
    })
    .catch((error) => body.replaceChildren(alertBox(error.message)))
    .finally(() => body.removeAttribute("aria-busy"));
  return section;
}
