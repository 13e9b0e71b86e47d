// The portal's words for the API's values, in one place for every page.

export const ROLES = { staff: "Clinic office staff", admin: "Hospital portal administrator" };

export const ACCOUNT_KINDS = { family: "Family (patient or parent/guardian)", ...ROLES };

export const RELATIONSHIPS = { parent: "Parent", guardian: "Legal guardian", self: "The patient's own account" };

export const PHONE_KINDS = { home: "Home", mobile: "Mobile", work: "Work" };

// The US Postal Service's codes of the states, DC, the territories and military mail: the
// codes the API takes (portal::domain::contact::US_STATES), by the names people look for.
const US_STATES = {
  AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado",
  CT: "Connecticut", DE: "Delaware", DC: "District of Columbia", FL: "Florida", GA: "Georgia",
  HI: "Hawaii", ID: "Idaho", IL: "Illinois", IN: "Indiana", IA: "Iowa", KS: "Kansas",
  KY: "Kentucky", LA: "Louisiana", ME: "Maine", MD: "Maryland", MA: "Massachusetts",
  MI: "Michigan", MN: "Minnesota", MS: "Mississippi", MO: "Missouri", MT: "Montana",
  NE: "Nebraska", NV: "Nevada", NH: "New Hampshire", NJ: "New Jersey", NM: "New Mexico",
  NY: "New York", NC: "North Carolina", ND: "North Dakota", OH: "Ohio", OK: "Oklahoma",
  OR: "Oregon", PA: "Pennsylvania", RI: "Rhode Island", SC: "South Carolina",
  SD: "South Dakota", TN: "Tennessee", TX: "Texas", UT: "Utah", VT: "Vermont",
  VA: "Virginia", WA: "Washington", WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming",
  AS: "American Samoa", GU: "Guam", MP: "Northern Mariana Islands", PR: "Puerto Rico",
  VI: "U.S. Virgin Islands", UM: "U.S. Minor Outlying Islands", FM: "Micronesia",
  MH: "Marshall Islands", AA: "Armed Forces Americas (AA)", AE: "Armed Forces Europe (AE)",
  AP: "Armed Forces Pacific (AP)",
};

/** The states as a select's options, by name, each with its code ("Massachusetts (MA)"). */
export function stateOptions() {
  return Object.entries(US_STATES)
    .map(([value, name]) => ({ value, label: name.endsWith(")") ? name : `${name} (${value})` }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

// What happened to a record, in the access log and the audit trail (the API's action ids).
export const ACTIONS = {
  "demographics.read": "Viewed Pt Demographics",
  "demographics.update": "Changed Pt Demographics",
  "additional-info.read": "Viewed Additional information",
  "additional-info.update": "Changed Additional information",
  "access-log.read": "Viewed who viewed or changed this record",
  "audit.read": "Viewed the audit trail",
  "patient.search": "Found the patient in a search",
  "patient.create": "Registered the patient",
  "account.link": "Linked a portal account to the patient",
  "account.unlink": "Unlinked a portal account from the patient",
  "account.read": "Viewed the patient list of a portal account",
  "results.read": "Viewed lab results",
  "result.read": "Viewed a lab result",
  "reports.read": "Viewed lab diagnostic reports",
  "report.read": "Viewed a lab diagnostic report",
  "immunizations.read": "Viewed immunization records",
  "immunizations.export": "Downloaded immunization records (FHIR)",
  "appointments.read": "Viewed appointments",
  "appointment.calendar": "Downloaded a visit for a calendar",
  "appointment-requests.read": "Viewed appointment requests",
  "appointment-request.create": "Sent an appointment request",
  "appointment-request.cancel": "Cancelled an appointment request",
  "appointment-request.read": "Opened an appointment request",
  "appointment-queue.read": "Saw the request in the office's appointment requests",
  "appointment-request.schedule": "Scheduled a requested appointment",
  "appointment-request.decline": "Declined an appointment request",
  "appointment-request.confirm": "Confirmed a request to cancel a visit",
  "appointment-request.note": "Added an internal note to an appointment request",
  "conversations.read": "Viewed the list of messages",
  "conversation.read": "Opened a conversation (Messages)",
  "conversation.create": "Sent a message (Send A Message)",
  "conversation.reply": "Replied in a conversation",
  "conversation.take": "Took a conversation in the office's inbox",
  "conversation.close": "Closed a conversation",
  "conversation.note": "Added an internal note to a conversation",
  "inbox.read": "Saw the conversation or refill request in the office's inbox",
  "medications.read": "Viewed medications",
  "refill-requests.read": "Viewed refill requests",
  "refill-request.create": "Sent a refill request (Refill medications)",
  "refill-request.answer": "Answered a refill request",
};

// What became of it: done; refused access; let in but not done (a stale save, a field the
// caller may not change); or a repeated request answered with the first result.
export const OUTCOMES = { allowed: "Allowed", denied: "Refused", failed: "Not done", replayed: "Shown again (repeated request)" };

// Security events (the API's event ids, `portal::store::security::Event`).
export const SECURITY_EVENTS = {
  signin: "Signed in",
  "signin.first": "First sign-in (new password and security questions)",
  "signin.locked": "Sign-in refused: too many wrong passwords",
  "password.change": "Changed the password (My Account)",
  "password.reset": "Reset a forgotten password",
  "account.create": "Created the account",
  "account.disable": "Disabled the account",
  "account.enable": "Enabled the account",
  "account.rename": "Changed the username",
  "credentials.resend": "Sent new login information",
  "twostep.on": "Turned on two-step sign-in",
  "twostep.off": "Turned off two-step sign-in",
  "twostep.reset": "Reset two-step sign-in",
};

// A lab value against its reference range (the API's `flag`, from the lab's interpretation
// code or the range). Never shown by colour alone: the words are always there.
export const FLAGS = {
  normal: "Normal",
  high: "High",
  low: "Low",
  "critical-high": "Critical high",
  "critical-low": "Critical low",
  abnormal: "Abnormal",
};

// The status of a lab result or report (FHIR's `status`), as a family reads it.
export const RESULT_STATUSES = {
  registered: "Registered (no result yet)",
  partial: "Partial (more results to come)",
  preliminary: "Preliminary",
  final: "Final",
  amended: "Amended",
  corrected: "Corrected",
  appended: "Final, with an addition",
  cancelled: "Cancelled",
  unknown: "Unknown",
};

// What a status means for the family, said on the result's and the report's page. Results
// are shown as soon as they arrive (the Cures Act expects no delay), so a preliminary one
// must say that it may still change.
export const STATUS_NOTES = {
  registered: "The test is ordered; the lab has not sent a result yet.",
  partial: "Some results are still to come. This page shows what the lab has sent so far.",
  preliminary: "Preliminary: the lab may still change this. The final result will replace it here.",
  amended: "The lab changed this after it was first reported. This is the changed version.",
  corrected: "Corrected: the lab corrected this after it was first reported. This is the corrected version.",
  cancelled: "The lab cancelled this test.",
};

// An immunization's status (FHIR's `status`).
export const IMMUNIZATION_STATUSES = { completed: "Given", "not-done": "Not given" };

// Who did it: people of the family by their relationship, staff by name and clinic.
export const WHO = {
  you: "You",
  self: "The patient (own account)",
  parent: "A parent",
  guardian: "A legal guardian",
  family: "A family account",
  staff: "Clinic office staff",
  admin: "Hospital portal administrator",
};

// Appointments: a visit's status in the hospital's schedule (FHIR Appointment.status, as
// the portal keeps it).
export const VISIT_STATUSES = {
  booked: "Booked",
  arrived: "Checked in",
  fulfilled: "Attended",
  cancelled: "Cancelled",
  noshow: "Missed",
};

// What an appointment request asks for. "cancel" is a family's request to cancel a booked
// visit ("Ask to cancel"); the others are "New Appointment"'s choices.
export const REQUEST_KINDS = {
  "new-problem": "New problem",
  "follow-up": "Follow-up",
  other: "Other",
  cancel: "Cancel a visit",
};

// Where a request stands.
export const REQUEST_STATUSES = {
  requested: "Requested",
  scheduled: "Scheduled",
  declined: "Declined",
  cancelled: "Cancelled",
  confirmed: "Cancellation confirmed",
};

// The days of the week and times of day a request says suit the family.
export const DAYS = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

export const TIMES_OF_DAY = { morning: "Morning", afternoon: "Afternoon" };

// Messages: a conversation with the clinic office is open until the office closes it; a
// family's message opens it again.
export const CONVERSATION_STATUSES = { open: "Open", closed: "Closed" };

// Who wrote a message (the API's `from.kind`).
export const AUTHOR_KINDS = { family: "Family", staff: "Clinic office" };

// "Refill medications": the office's answer for one medication of a request.
export const REFILL_STATUSES = {
  requested: "Waiting for the office",
  approved: "Approved",
  denied: "Denied",
  "needs-appointment": "Needs an appointment",
};

// A refill request as a whole: waiting while any medication is, then answered.
export const REFILL_REQUEST_STATUSES = { requested: "Waiting for the office", answered: "Answered" };

/** The words as a form field's options. */
export function options(words) {
  return Object.entries(words).map(([value, label]) => ({ value, label }));
}
