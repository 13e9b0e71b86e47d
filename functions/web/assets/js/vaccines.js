// Immunizations as the Immunization Records page and the office's patient record show them:
// grouped by vaccine (name with its CVX code, by name), each dose with its date, dose
// number, lot, site and who gave it, oldest first as the API gives them.

import { fhirWhenText } from "./records.js";
import { h, table } from "./ui.js";
import { IMMUNIZATION_STATUSES } from "./words.js";

const NOT_RECORDED = "Not recorded";

/** "DTaP (CVX 20)" */
export function vaccineName(vaccine) {
  return `${vaccine.name} (CVX ${vaccine.cvx})`;
}

/** The doses of `items` by vaccine, in order of the vaccines' names. */
export function byVaccine(items) {
  const groups = new Map();
  for (const item of items) {
    const group = groups.get(item.vaccine.cvx) ?? { vaccine: item.vaccine, doses: [] };
    group.doses.push(item);
    groups.set(item.vaccine.cvx, group);
  }
  return [...groups.values()].sort((a, b) => a.vaccine.name.localeCompare(b.vaccine.name, "en", { sensitivity: "base" }));
}

/** One section per vaccine, its heading at `level` (2 on its own page, 3 inside a section). */
export function vaccineSections(items, level = 2) {
  return byVaccine(items).map(({ vaccine, doses }, i) => {
    const id = `vaccine-${level}-${i}`;
    const t = table(`Doses of ${vaccine.name}, oldest first`, ["Date given", "Dose", "Lot number", "Site", "Given by", "Status"]);
    t.body.append(...doses.map((d) => h("tr", {},
      h("td", { class: "nowrap" }, h("time", { datetime: d.date }, fhirWhenText(d.date, { time: false }))),
      h("td", {}, d.dose_number ? `Dose ${d.dose_number}` : NOT_RECORDED),
      h("td", {}, d.lot_number ?? NOT_RECORDED),
      h("td", {}, d.site ?? NOT_RECORDED),
      h("td", {}, d.performer ?? NOT_RECORDED),
      h("td", {}, IMMUNIZATION_STATUSES[d.status] ?? d.status))));
    return h("section", { class: "vaccine", "aria-labelledby": id }, h(`h${level}`, { id }, vaccineName(vaccine)), t.el);
  });
}
