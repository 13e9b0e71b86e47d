// For hospital portal administrators: "Imports": every FHIR bundle the hospital's systems
// sent, newest first, with how many entries were taken and why each refused one was
// refused. The list holds no PHI: counts, resource types and the portal's own reasons.

import { api } from "../api.js";
import { when } from "../records.js";
import { h, loadedFor, page, pagedTable } from "../ui.js";

const TITLE = "Imports";

function next(cursor) {
  const query = new URLSearchParams({ limit: "25" });
  if (cursor) query.set("cursor", cursor);
  return api("GET", `/api/admin/imports?${query}`);
}

/** Why entries were refused: each by its place in the bundle as FHIR tools number it
 * (entry[0] is the first), its type and the reason; or why the whole body was. */
function refusals(item) {
  if (item.problem) return h("p", { class: "refusal" }, h("strong", {}, "Not taken: "), item.problem);
  if (!item.refusals.length) return "None";
  return h("ul", { class: "refusals" }, item.refusals.map((r) =>
    h("li", {}, h("code", {}, `entry[${r.index}]`), ` ${r.resource_type}: ${r.reason}`)));
}

export async function show() {
  const first = await loadedFor(TITLE, next(null));
  if (!first) return;
  const row = (item) => h("tr", {},
    h("td", {}, when(item.received)),
    h("td", {}, String(item.entries)),
    h("td", {}, String(item.accepted)),
    h("td", {}, String(item.refused)),
    h("td", {}, refusals(item)));
  const log = await pagedTable("Bundles received, newest first", ["Received", "Entries", "Taken", "Refused", "Refused entries"],
    { next, row, noun: "bundles", first, moreLabel: "More imports" });
  page(
    TITLE,
    h("p", { class: "lead" }, "Every FHIR bundle the hospital's systems sent, kept for 90 days: how many entries were taken, and why each refused entry was refused. Entries are numbered as in the bundle, from entry[0]. No patient's data is kept here."),
    h("section", { class: "card" }, log.count === 0 ? h("p", {}, "No bundle has been received yet.") : log.el),
  );
}
