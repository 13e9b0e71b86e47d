// The welcome page after sign-in: whose records this account holds (and, for several
// children, which one the family is acting for), the child's next visit (when there is
// one), the unread conversations and "Latest lab results", and the portal's menu for the
// role (the office's with what waits in its inbox). Only what exists is offered.

import { clinicNames } from "../api.js";
import { nextVisit } from "../appointments.js";
import { inboxCount, officeCounts, recountUnread, unreadText } from "../counts.js";
import { latestResults } from "../labs.js";
import { pickerCard, possessive } from "../patient.js";
import * as session from "../session.js";
import { h, notice, page } from "../ui.js";
import { RELATIONSHIPS } from "../words.js";

function tile(href, title, text) {
  return h("li", {}, h("a", { href }, title, h("span", {}, text)));
}

/** A tile whose text starts with a count filled in when it comes (`count()` resolves with
 * the words, or null). */
function countedTile(href, title, text, count) {
  const words = h("span", {}, text);
  count().then((n) => {
    if (n) words.replaceChildren(h("strong", {}, `${n}.`), ` ${text}`);
  }).catch(() => {});
  return h("li", {}, h("a", { href }, title, words));
}

/** The family's unread conversations, asked afresh (the menu's count too). */
function unreadMessages() {
  return recountUnread().then((n) => (n === null ? null : unreadText(n)));
}

async function waitingInInbox() {
  const n = inboxCount(await officeCounts());
  return n === null ? null : `${n} open`;
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
    tiles.push(countedTile("/office/inbox", "Inbox", "The families' messages and refill requests: reply, take, close, answer.", waitingInInbox));
  }
  if (session.isAdmin()) {
    tiles.push(tile("/admin/staff", "Staff accounts", "Create office staff and admin accounts."));
    tiles.push(tile("/admin/imports", "Imports", "The FHIR bundles the hospital's systems sent, and why entries were refused."));
  }
  if (chosen) {
    const whose = possessive(chosen.given_name);
    tiles.push(tile("/medical-record", "Medical Record", `${whose} lab results, Lab Diagnostic Reports, Immunization Records and Medications.`));
    tiles.push(tile("/appointments", "Appointments", `${whose} upcoming visits and your requests; New Appointment.`));
    if (!session.isStaff()) {
      tiles.push(countedTile("/messages", "Messages", "Write to the clinic office (Send A Message) and ask for refills (Refill medications).", unreadMessages));
    }
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
