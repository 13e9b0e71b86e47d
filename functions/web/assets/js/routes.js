// The pages, who may see them, and the menu. The server's `web::PAGES` lists the same
// paths (a test keeps them equal), so a reload of any page finds it.

import * as account from "./pages/account.js";
import * as accessLog from "./pages/account-access-log.js";
import * as additionalInfo from "./pages/account-additional-info.js";
import * as demographics from "./pages/account-demographics.js";
import * as securityQuestions from "./pages/account-security-questions.js";
import * as adminImports from "./pages/admin-imports.js";
import * as adminSecurityEvents from "./pages/admin-security-events.js";
import * as adminStaff from "./pages/admin-staff.js";
import * as appointments from "./pages/appointments.js";
import * as conversation from "./pages/conversation.js";
import * as firstSignIn from "./pages/first-sign-in.js";
import * as forgotPassword from "./pages/forgot-password.js";
import * as help from "./pages/help.js";
import * as immunizations from "./pages/immunizations.js";
import * as labReport from "./pages/lab-report.js";
import * as labReports from "./pages/lab-reports.js";
import * as labResult from "./pages/lab-result.js";
import * as labResults from "./pages/lab-results.js";
import * as medicalRecord from "./pages/medical-record.js";
import * as medications from "./pages/medications.js";
import * as messages from "./pages/messages.js";
import * as newAppointment from "./pages/new-appointment.js";
import * as officeAccounts from "./pages/office-accounts.js";
import * as officeAppointments from "./pages/office-appointments.js";
import * as officeInbox from "./pages/office-inbox.js";
import * as officePatients from "./pages/office-patients.js";
import * as officeRegister from "./pages/office-register.js";
import * as refill from "./pages/refill.js";
import * as resetPassword from "./pages/reset-password.js";
import * as sendMessage from "./pages/send-message.js";
import * as signIn from "./pages/sign-in.js";
import * as twoStep from "./pages/two-step.js";
import * as welcome from "./pages/welcome.js";

// access: "anyone"; "signed-out" (a signed-in visitor goes to the welcome page);
// "signed-in"; "family" (signed in, not staff or admin: the pages of a child's record);
// "record" (the Medical Record's pages and Appointments: a family's, for the child it acts
// for, and the office's, for the patient it opened in "Find a patient"); "office" (staff
// and admins);
// "admin".
export const ROUTES = [
  { path: "/", access: "anyone", page: null },
  { path: "/sign-in", access: "signed-out", page: signIn },
  { path: "/first-sign-in", access: "signed-out", page: firstSignIn },
  { path: "/two-step", access: "signed-out", page: twoStep },
  { path: "/forgot-password", access: "anyone", page: forgotPassword },
  { path: "/reset-password", access: "anyone", page: resetPassword },
  { path: "/welcome", access: "signed-in", page: welcome },
  { path: "/account", access: "signed-in", page: account },
  { path: "/account/demographics", access: "family", page: demographics },
  { path: "/account/additional-info", access: "family", page: additionalInfo },
  { path: "/account/security-questions", access: "signed-in", page: securityQuestions },
  { path: "/account/access-log", access: "family", page: accessLog },
  { path: "/medical-record", access: "family", page: medicalRecord },
  { path: "/medical-record/results", access: "record", page: labResults },
  { path: "/medical-record/result", access: "record", page: labResult },
  { path: "/medical-record/reports", access: "record", page: labReports },
  { path: "/medical-record/report", access: "record", page: labReport },
  { path: "/medical-record/immunizations", access: "record", page: immunizations },
  { path: "/medical-record/medications", access: "record", page: medications },
  { path: "/appointments", access: "record", page: appointments },
  { path: "/appointments/new", access: "family", page: newAppointment },
  { path: "/messages", access: "family", page: messages },
  { path: "/messages/new", access: "family", page: sendMessage },
  { path: "/messages/conversation", access: "family", page: conversation },
  { path: "/messages/refill", access: "family", page: refill },
  { path: "/help", access: "anyone", page: help },
  { path: "/office/register", access: "office", page: officeRegister },
  { path: "/office/patients", access: "office", page: officePatients },
  { path: "/office/accounts", access: "office", page: officeAccounts },
  { path: "/office/appointments", access: "office", page: officeAppointments },
  { path: "/office/inbox", access: "office", page: officeInbox },
  { path: "/admin/staff", access: "admin", page: adminStaff },
  { path: "/admin/security-events", access: "admin", page: adminSecurityEvents },
  { path: "/admin/imports", access: "admin", page: adminImports },
];

// The menu shows only what exists, and only what the signed-in role may use; `count` names
// a number shown beside the entry (counts.js: the office's open appointment requests and
// what waits in its inbox, a family's unread conversations).
export const MENU = [
  { href: "/sign-in", label: "Sign in", when: "signed-out" },
  { href: "/welcome", label: "Welcome", when: "signed-in" },
  { href: "/medical-record", label: "Medical Record", when: "family" },
  { href: "/appointments", label: "Appointments", when: "family" },
  { href: "/messages", label: "Messages", when: "family", count: "unread" },
  { href: "/office/register", label: "Register a patient", when: "office" },
  { href: "/office/patients", label: "Find a patient", when: "office" },
  { href: "/office/accounts", label: "Find an account", when: "office" },
  { href: "/office/appointments", label: "Appointment requests", when: "office", count: "appointment-requests" },
  { href: "/office/inbox", label: "Inbox", when: "office", count: "inbox" },
  { href: "/admin/staff", label: "Staff accounts", when: "admin" },
  { href: "/admin/security-events", label: "Security events", when: "admin" },
  { href: "/admin/imports", label: "Imports", when: "admin" },
  { href: "/account", label: "My Account", when: "signed-in" },
  { href: "/help", label: "Help", when: "anyone" },
];
