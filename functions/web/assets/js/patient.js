// Whose record a family's page shows. An account may act for several children; the family
// picks one (on the welcome page or in My Account), the choice is kept for the tab
// (`session.choosePatient`), and every patient page says whose record it shows. The
// Medical Record's pages serve the office too, for the patient it opened in "Find a
// patient" (`recordPatient`).

import { api } from "./api.js";
import * as session from "./session.js";
import { alertBox, form, h, link, page } from "./ui.js";
import { RELATIONSHIPS } from "./words.js";

/** "Ada's" */
export function possessive(name) {
  return `${name}'s`;
}

/** The line at the top of every patient page: "Showing Ada's record." and, when the account
 * acts for several children, a way to choose another. */
export function whose(name) {
  const several = session.patients().length > 1;
  return h("p", { class: "whose" },
    "Showing ", h("strong", {}, possessive(name)), " record.",
    several ? [" ", link("/account", "Choose another child")] : null);
}

/** The choice of child: one radio button each, the current one ticked. `onChosen(patient)`
 * runs after a choice. */
function picker(onChosen) {
  const list = session.patients();
  const chosen = session.chosenPatient();
  return form({
    fields: [{
      name: "patient",
      label: "Whose record do you want to see?",
      term: "whose record to see",
      type: "radios",
      value: chosen?.id,
      options: list.map((p) => ({ value: p.id, label: `${p.given_name} (${RELATIONSHIPS[p.relationship] ?? p.relationship})` })),
    }],
    submit: "Show this record",
    onSubmit: async ({ patient }) => {
      session.choosePatient(patient);
      onChosen(session.chosenPatient());
    },
  }).el;
}

/** The picker as a card of its own, for the welcome page and My Account; null when the
 * account acts for one child or none. */
export function pickerCard(onChosen) {
  if (session.patients().length < 2) return null;
  const chosen = session.chosenPatient();
  return h("section", { class: "card", "aria-labelledby": "picker-h" },
    h("h2", { id: "picker-h" }, "Your children"),
    h("p", {}, chosen
      ? ["You are acting for ", h("strong", {}, chosen.given_name), ". To see another child's record, choose them here."]
      : "Your account holds the records of several children. Choose whose record to see."),
    picker(onChosen));
}

/** The patient a family page is about, or null after showing the page `title` with what to
 * do instead: choose a child first, or (no child) ask the office. `again()` shows the page
 * once a child is chosen. */
export function familyPatient(title, again) {
  const list = session.patients();
  if (list.length === 0) {
    page(title,
      h("p", {}, "No patient's record is linked to your account. Please ask your provider's office to link your child's record to it."),
      h("p", {}, link("/welcome", "Back to the welcome page")));
    return null;
  }
  const chosen = session.chosenPatient();
  if (chosen) return chosen;
  page(title,
    h("p", { class: "lead" }, "Your account holds the records of several children. Choose whose record to see first."),
    h("div", { class: "card" }, picker(() => again())));
  return null;
}

/** What `promise` brings for the child `name`'s page `title`, or null after showing why it
 * failed; a record no longer linked to the account (404) is said so. */
export async function loadedRecord(title, name, promise) {
  try {
    return await promise;
  } catch (error) {
    const text = error.status === 404
      ? `${possessive(name)} record is not linked to your account any more. Please ask your provider's office.`
      : error.message;
    page(title, whose(name), alertBox(text));
    return null;
  }
}

// The name of the patient the office has open, in memory only (names never go into
// storage): "Find a patient" sets it; after a reload it is read again.
let officeName = null;

/** "Find a patient" opened `id`, whose full name is `name`, of the clinic named `clinic`
 * (when the page knows it: it came from a search). */
export function officePatientShown(id, name, clinic = null) {
  officeName = { id, name, clinic: clinic ?? (officeName?.id === id ? officeName.clinic : null) };
}

/**
 * The patient a Medical Record page is about, as { id, name, office, clinic }: for a family
 * the child it acts for (see `familyPatient`), for the office the patient opened in "Find a
 * patient" (with its clinic's name when known). Null after showing the page `title` with
 * what to do instead; `again()` shows the page once a child is chosen.
 */
export async function recordPatient(title, again) {
  if (!session.isStaff()) {
    const child = familyPatient(title, again);
    return child && { id: child.id, name: child.given_name, office: false, clinic: null };
  }
  const id = session.officePatientId();
  if (!id) {
    page(title,
      h("p", {}, "Open a patient's record with Find a patient first; its lab results and immunizations are there."),
      h("p", {}, link("/office/patients", "Find a patient")));
    return null;
  }
  if (officeName?.id !== id) {
    const record = await officeLoaded(title, api("GET", `/api/patients/${encodeURIComponent(id)}/demographics`));
    if (!record) return null;
    officePatientShown(id, `${record.given_name} ${record.family_name}`);
  }
  return { id, name: officeName.name, office: true, clinic: officeName.clinic };
}

async function officeLoaded(title, promise) {
  try {
    return await promise;
  } catch (error) {
    const text = error.status === 404 ? "That patient's record cannot be shown. Please search again." : error.message;
    page(title, alertBox(text), h("p", {}, link("/office/patients", "Find a patient")));
    return null;
  }
}

/** What `promise` brings for `patient`'s Medical Record page `title`, or null after showing
 * why it failed. A 404 is `gone` when given (an item that is not in the record, such as a
 * result the lab withdrew), else the record itself is no longer there for this account. */
export async function recordLoaded(patient, title, promise, gone = null) {
  try {
    return await promise;
  } catch (error) {
    let text = error.message;
    if (error.status === 404) {
      text = gone ?? (patient.office
        ? "That patient's record cannot be shown. Please search again."
        : `${possessive(patient.name)} record is not linked to your account any more. Please ask your provider's office.`);
    }
    page(title, whose(patient.name), alertBox(text), backTo(patient));
    return null;
  }
}

/** Where a Medical Record page leads back to: the family's Medical Record, or the office's
 * patient record. */
export function backTo(patient) {
  return h("p", { class: "no-print" }, patient.office
    ? link("/office/patients", "Back to the patient record")
    : link("/medical-record", "Back to the Medical Record"));
}
