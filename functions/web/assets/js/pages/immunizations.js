// "Immunization Records": every vaccine given, grouped by vaccine. "Print" gives the
// school-ready record through the print stylesheet (app.css, @media print): the patient's
// name, birth date and clinic, every dose and the date printed,
// without menus or buttons. "Download (FHIR)" saves the same as a FHIR R4 Bundle for
// another doctor's or the school's system.

import { api, apiFile } from "../api.js";
import { backTo, possessive, recordLoaded, recordPatient, whose } from "../patient.js";
import { fhirWhenText, patientPath, say } from "../records.js";
import { alertBox, facts, h, link, notice, page } from "../ui.js";
import { vaccineSections } from "../vaccines.js";

const TITLE = "Immunization Records";
const FILE = "immunizations.fhir.json";
const FHIR_JSON = "application/fhir+json";
const HOSPITAL = "Tufts Children's Hospital";

// The last download's Blob address, given back when the next one is made (a page of the
// portal is never unloaded, so nothing else would).
let saved = null;

function today() {
  return new Date().toLocaleDateString("en-US", { dateStyle: "long" });
}

export async function show() {
  const patient = await recordPatient(TITLE, show);
  if (!patient) return;
  // The answer names whose record it is (full name, date of birth, clinic), as the record
  // printed for a school must carry them.
  const loaded = await recordLoaded(patient, TITLE, api("GET", patientPath(patient.id, "immunizations")));
  if (!loaded) return;
  const { patient: person, items } = loaded;

  const printedOn = h("span", {}, today());
  const status = h("div", { role: "status", class: "no-print" });
  const download = h("button", { type: "button" }, "Download (FHIR)");
  download.addEventListener("click", async () => {
    download.disabled = true;
    status.replaceChildren();
    try {
      const blob = await apiFile(patientPath(patient.id, "immunizations/fhir"), FHIR_JSON);
      if (saved) URL.revokeObjectURL(saved);
      saved = URL.createObjectURL(new Blob([blob], { type: FHIR_JSON }));
      const again = link(saved, `Save ${FILE} again`, { download: FILE, type: FHIR_JSON });
      say(status, notice(h("span", {}, `${possessive(person.given_name)} immunization record is downloaded as ${FILE}: a FHIR R4 file that another doctor's or the school's system can read. `, again)));
      again.click();
    } catch (error) {
      say(status, alertBox(error.message));
    } finally {
      download.disabled = false;
    }
  });
  const print = h("button", { type: "button", class: "primary" }, "Print");
  print.addEventListener("click", () => {
    printedOn.textContent = today();
    window.print();
  });
  // The browser's own Print (Ctrl+P) dates the record too. One handler for the window, so
  // that pages opened before do not pile them up.
  window.onbeforeprint = () => {
    printedOn.textContent = today();
  };

  const rows = [
    ["Patient", `${person.given_name} ${person.family_name}`],
    ["Date of birth", fhirWhenText(person.birth_date)],
    ["Hospital", HOSPITAL],
  ];
  if (person.clinic) rows.push(["Clinic", person.clinic.name]);
  page(
    TITLE,
    h("p", { class: "print-only print-brand" }, `${HOSPITAL} Patient Portal`),
    h("div", { class: "no-print" }, whose(patient.name)),
    h("p", { class: "lead no-print" }, "Every vaccine given, grouped by vaccine. Print it for school, camp or sports, or download it for another doctor."),
    h("div", { class: "actions top-actions no-print" }, print, download),
    status,
    h("section", { class: "card record-facts", "aria-label": "Whose immunization record" }, facts(rows)),
    ...(items.length
      ? vaccineSections(items, 2)
      : [h("p", { class: "card" }, "No immunizations are in the portal yet. They appear here as soon as the clinic's records send them.")]),
    h("p", { class: "print-only printed-on" }, "Printed on ", printedOn, ` from the ${HOSPITAL} Patient Portal.`),
    backTo(patient),
  );
}
