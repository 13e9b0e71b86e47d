// The welcome page after sign-in: whose records this account holds (and, for several
// children, which one the family is acting for), the child's next visit (when there is
// one) and "Latest lab results", and the portal's menu for the role. Only what exists is
// offered.

import { clinicNames } from "../api.js";
import { nextVisit } from "../appointments.js";
import { latestResults } from "../labs.js";
import { pickerCard, possessive } from "../patient.js";
import * as session from "../session.js";
import { h, notice, page } from "../ui.js";
import { RELATIONSHIPS } from "../words.js";

function tile(href, title, text) {
  return h("li", {}, h("a", { href }, title, h("span", {}, text)));
}

export function show({ go, flash }) {
  const me = session.current();
  const chosen = session.chosenPatient();
  const tiles = [];
  if (session.isStaff()) {
    tiles.push(tile("/office/register", "Register a patient", "Register a patient and create the family's portal account."));
    tiles.push(tile("/office/patients", "Find a patient", "Search by name, date of birth or MRN; Pt Demographics, linked accounts, audit trail."));
    tiles.push(tile("/office/accounts", "Find an account", "Resend login information, change a username, disable or enable, unlink a patient."));
    tiles.push(tile("/office/appointments", "Appointment requests", "The families' requests for a visit: schedule, decline, add internal notes."));
  }
  if (session.isAdmin()) {
    tiles.push(tile("/admin/staff", "Staff accounts", "Create office staff and admin accounts."));
    tiles.push(tile("/admin/imports", "Imports", "The FHIR bundles the hospital's systems sent, and why entries were refused."));
  }
  if (chosen) {
    const whose = possessive(chosen.given_name);
    tiles.push(tile("/medical-record", "Medical Record", `${whose} lab results, Lab Diagnostic Reports and Immunization Records.`));
    tiles.push(tile("/appointments", "Appointments", `${whose} upcoming visits and your requests; New Appointment.`));
    tiles.push(tile("/account/demographics", "Pt Demographics", `${whose} address, phone numbers and email.`));
    tiles.push(tile("/account/additional-info", "Additional information", `${whose} emergency contacts and pharmacy.`));
  }
  tiles.push(tile("/account", "My Account", me.patients.length
    ? "Your child's record, security questions and reset password."
    : "Your username, email address, security questions and reset password."));
  tiles.push(tile("/help", "Help", "Questions about the portal and the participating clinics."));
  const patients = me.patients.length === 1
    ? h("section", { "aria-labelledby": "patients-h" },
        h("h2", { id: "patients-h" }, "Your patient"),
        h("ul", {}, me.patients.map((p) => h("li", {}, h("strong", {}, p.given_name), `: ${RELATIONSHIPS[p.relationship] ?? p.relationship}`))))
    : pickerCard((p) => go("/welcome", `Now showing ${possessive(p.given_name)} record.`, { replace: true }));
  page(
    `Welcome, ${me.username}`,
    flash ? notice(flash) : null,
    patients,
    // For the child the family acts for; with several and none chosen yet, the picker asks.
    // The next visit shows only when there is one.
    chosen && !session.isStaff() ? nextVisit({ id: chosen.id }, clinicNames()) : null,
    chosen && !session.isStaff() ? latestResults({ id: chosen.id, name: chosen.given_name }) : null,
    h("nav", { "aria-label": "What you can do" }, h("ul", { class: "menu-tiles" }, tiles)),
  );
}
