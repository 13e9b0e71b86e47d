// For clinic office staff and admins: find a patient of their clinics by name, date of
// birth or MRN (the query travels in the request body, never in an address), then see and
// correct the patient's Pt Demographics (names and date of birth too), see the Additional
// information, the latest lab results and the immunizations (the family's Medical Record
// and Appointments pages open from here for this patient), link a family's account to the
// patient, and read the audit trail. The patient being looked at is kept for the tab by id
// (`session.officePatientId`).

import { api, clinicNames } from "../api.js";
import { latestResults } from "../labs.js";
import { officePatientShown, possessive } from "../patient.js";
import { activityLog, additionalInfoView, demographicsEditor, patientPath, say } from "../records.js";
import * as session from "../session.js";
import { alertBox, fieldError, form, h, link, notice, page, pagedTable } from "../ui.js";
import { vaccineSections } from "../vaccines.js";
import { RELATIONSHIPS, options } from "../words.js";

const TITLE = "Find a patient";

// The last search of this page load, so that "Find another patient" comes back to it.
let last = null;

export function show() {
  const id = session.officePatientId();
  if (id) return showPatient(id);
  return showSearch();
}

async function search(query, cursor = null) {
  const body = { query };
  if (cursor) body.cursor = cursor;
  return api("POST", "/api/admin/patients/search", { body });
}

function showSearch(message = null) {
  const results = h("div");
  const f = form({
    fields: [{
      name: "query",
      label: "Name, date of birth or MRN",
      term: "a name, date of birth or MRN",
      hint: "For example: Lopez, or Lopez, Ava, or Ava Lopez, or 03/14/2015, or the MRN.",
      value: last?.query,
    }],
    submit: "Search",
    onSubmit: async ({ query }) => {
      results.replaceChildren();
      const found = await search(query.trim());
      last = { query: query.trim(), items: found.items, cursor: found.cursor ?? null };
      await showResults(results);
    },
  });
  page(
    TITLE,
    message,
    h("p", { class: "lead" }, "Search the patients of your clinics by name, date of birth or medical record number (MRN)."),
    h("div", { class: "card" }, f.el),
    results,
  );
  if (last) showResults(results);
}

async function showResults(into) {
  const names = await clinicNames();
  if (!last.items.length) {
    into.replaceChildren(h("section", { class: "card", "aria-labelledby": "results-h" },
      h("h2", { id: "results-h" }, "No patient found"),
      h("p", {}, "No patient of your clinics matches that search. Check the spelling, or search by date of birth or MRN.")));
    return;
  }
  const row = (p) => h("tr", {},
    h("td", {}, `${p.family_name}, ${p.given_name}`),
    h("td", {}, p.birth_date),
    h("td", {}, names.get(p.clinic) ?? p.clinic),
    h("td", {}, h("button", { type: "button", onclick: () => open(p) }, "Open", h("span", { class: "visually-hidden" }, ` ${p.given_name} ${p.family_name}`))));
  // The pages seen so far stay in `last`, so "Find another patient" comes back to them.
  const next = async (cursor) => {
    const found = await search(last.query, cursor);
    last.items.push(...found.items);
    last.cursor = found.cursor ?? null;
    return found;
  };
  const first = { items: [...last.items], cursor: last.cursor };
  const results = await pagedTable("Patients found, by last name", ["Name", "Date of birth", "Clinic", "Record"], { next, row, noun: "patients", first });
  into.replaceChildren(h("section", { class: "card", "aria-labelledby": "results-h" },
    h("h2", { id: "results-h" }, "Patients found"), results.el));
}

function open(p) {
  session.chooseOfficePatient(p.id);
  showPatient(p.id, p.clinic);
}

function back(message = null) {
  session.chooseOfficePatient(null);
  showSearch(message);
}

async function showPatient(id, clinic = null) {
  let record;
  let info;
  try {
    [record, info] = await Promise.all([api("GET", patientPath(id, "demographics")), api("GET", patientPath(id, "additional-info"))]);
  } catch (error) {
    if (error.status === 404) return back(alertBox("That patient's record cannot be shown. Please search again."));
    page("Patient record", alertBox(error.message), h("div", { class: "actions" }, h("button", { type: "button", onclick: () => back() }, "Find another patient")));
    return;
  }
  const clinicName = clinic ? (await clinicNames()).get(clinic) ?? clinic : null;
  const whose = h("p", { class: "whose" });
  const showWhose = (r) => {
    // The Medical Record pages opened from here name the patient as this page does.
    officePatientShown(id, `${r.given_name} ${r.family_name}`, clinicName);
    whose.replaceChildren(
      "Showing ", h("strong", {}, possessive(`${r.given_name} ${r.family_name}`)), " record",
      `: born ${r.birth_date}${clinicName ? `, ${clinicName}` : ""}.`);
  };
  showWhose(record);

  const labs = latestResults({ id, name: `${record.given_name} ${record.family_name}` });
  labs.append(h("p", {}, link("/medical-record/reports", "Lab Diagnostic Reports"), ": the lab's reports with their conclusions."));
  const vaccines = h("div", { "aria-busy": "true" }, h("p", {}, "Loading the immunizations…"));
  api("GET", patientPath(id, "immunizations"))
    .then(({ items }) => vaccines.replaceChildren(...(items.length
      ? vaccineSections(items, 3)
      : [h("p", {}, "No immunizations are in the portal for this patient.")])))
    .catch((error) => vaccines.replaceChildren(alertBox(error.message)))
    .finally(() => vaccines.removeAttribute("aria-busy"));

  const audit = h("div");
  let loads = 0;
  const loadAudit = async () => {
    const mine = ++loads;
    let shown;
    try {
      shown = await activityLog(`/api/admin/patients/${encodeURIComponent(id)}/audit`, "Who viewed or changed this record, newest first");
    } catch (error) {
      shown = alertBox(error.message);
    }
    // A slower, earlier load (after a save) must not replace a later one (after a link).
    if (mine === loads) audit.replaceChildren(shown);
  };

  const linkStatus = h("div", { role: "status" });
  const linkBox = h("div");
  const linkForm = () => form({
    fields: [
      { name: "username", label: "Username of the account", autocomplete: "off", hint: "The family's existing portal account." },
      { name: "relationship", label: "Account holder is the patient's", options: options(RELATIONSHIPS) },
    ],
    submit: "Link account",
    onSubmit: async ({ username, relationship }) => {
      linkStatus.replaceChildren();
      const name = username.trim();
      try {
        await api("POST", `/api/admin/accounts/${encodeURIComponent(name)}/patients`, { body: { patient_id: id, relationship } });
      } catch (error) {
        if (error.status === 404) throw fieldError("username", "No family account has this username.");
        throw error;
      }
      linkBox.replaceChildren(linkForm());
      say(linkStatus, notice(`The account ${name} is now linked to this patient (${RELATIONSHIPS[relationship] ?? relationship}). It sees the record the next time it signs in or reloads.`));
      loadAudit();
    },
  }).el;
  linkBox.replaceChildren(linkForm());

  page(
    "Patient record",
    whose,
    h("div", { class: "actions top-actions" }, h("button", { type: "button", onclick: () => back() }, "Find another patient")),
    h("section", { "aria-labelledby": "demo-h" },
      h("h2", { id: "demo-h" }, "Pt Demographics"),
      demographicsEditor(record, { staff: true, onChange: (r) => { showWhose(r); loadAudit(); } })),
    h("section", { class: "card", "aria-labelledby": "info-h" },
      h("h2", { id: "info-h" }, "Additional information"),
      additionalInfoView(info)),
    labs,
    h("section", { class: "card", "aria-labelledby": "vaccines-h" },
      h("h2", { id: "vaccines-h" }, "Immunizations"),
      vaccines,
      h("p", {}, link("/medical-record/immunizations", "Immunization Records"), ": print the record or download it (FHIR).")),
    h("section", { class: "card", "aria-labelledby": "appointments-h" },
      h("h2", { id: "appointments-h" }, "Appointments"),
      h("p", {}, link("/appointments", "Visits and requests"), ": the patient's upcoming and past visits and the family's appointment requests.")),
    h("section", { class: "card", "aria-labelledby": "medications-h" },
      h("h2", { id: "medications-h" }, "Medications"),
      h("p", {}, link("/medical-record/medications", "Active medications"), ": dosage, prescriber, refills left. Refill requests are in the ", link("/office/inbox?kind=refill", "Inbox"), ".")),
    h("section", { class: "card", "aria-labelledby": "link-h" },
      h("h2", { id: "link-h" }, "Link an account to this patient"),
      h("p", {}, "A parent or guardian with several children keeps one sign-in: link their account to this patient too. To unlink, use ", link("/office/accounts", "Find an account"), "."),
      linkStatus,
      linkBox),
    h("section", { class: "card", "aria-labelledby": "audit-h" },
      h("h2", { id: "audit-h" }, "Audit trail"),
      audit),
  );
  loadAudit();
}
