// "Appointments": the child's upcoming visits from the hospital's schedule (soonest first,
// each with "Add to calendar" and "Ask to cancel"), past visits (newest first, "More past
// visits"), and the family's requests with where each stands ("Cancel request" while it
// waits). Every time is Eastern Time, the hospital's, and says so. The office opens the same
// page for the patient it opened in "Find a patient", without the family's buttons.

import { api, apiFile, clinicNames, newKey } from "../api.js";
import {
  EASTERN_LABEL, easternText, easternWhen, kindText, requestState, requestsPage, visitStatus, visitWhen, visitWhenText, visitsPage,
} from "../appointments.js";
import { backTo, possessive, recordLoaded, recordPatient, whose } from "../patient.js";
import { patientPath, say } from "../records.js";
import { alertBox, confirmDialog, facts, h, link, notice, page, pagedList, pagedTable } from "../ui.js";

const TITLE = "Appointments";
const FILE = "appointment.ics";
const CALENDAR = "text/calendar";

// An "Ask to cancel" keeps its Idempotency-Key (by visit) until it succeeds, so pressing
// it again after a failure sends one request.
const cancelKeys = new Map();
// The last calendar file's Blob address, given back when the next one is made.
let saved = null;

export async function show(ctx = {}) {
  const patient = await recordPatient(TITLE, () => show(ctx));
  if (!patient) return;
  const family = !patient.office;
  const loaded = await recordLoaded(patient, TITLE, Promise.all([
    visitsPage(patient.id, "upcoming"),
    visitsPage(patient.id, "past"),
    requestsPage(patient.id),
  ]));
  if (!loaded) return;
  const [upcoming, past, requests] = loaded;
  const names = await clinicNames();
  const clinicName = (id) => names.get(id) ?? id;
  const again = (message) => show({ ...ctx, flash: message });

  // A visit the family already asked to cancel says so instead of offering it again.
  const askedToCancel = new Map(requests.items
    .filter((r) => r.kind === "cancel" && r.status === "requested" && r.appointment_id)
    .map((r) => [r.appointment_id, r]));

  const visitItem = (v, n) => {
    const headingId = `visit-${n}`;
    const cancelled = v.status === "cancelled";
    const status = h("div", { role: "status" });
    const rows = [["Clinic", clinicName(v.clinic)]];
    if (v.provider) rows.push(["Provider", v.provider]);
    if (v.location) rows.push(["Location", v.location]);
    if (v.type) rows.push(["Type of visit", v.type]);
    if (v.instructions) rows.push(["Instructions", h("span", { class: "note" }, v.instructions)]);
    rows.push(["Status", cancelled ? h("strong", {}, "Cancelled: this visit will not take place.") : visitStatus(v.status)]);
    const asked = askedToCancel.has(v.id);
    const actions = [];
    if (family && v.status === "booked") {
      actions.push(h("button", { type: "button", "aria-describedby": headingId, onclick: (e) => addToCalendar(e.currentTarget, v, status) }, "Add to calendar"));
      if (!asked) {
        actions.push(h("button", { type: "button", class: "danger", "aria-describedby": headingId, onclick: () => askToCancel(v, status) }, "Ask to cancel"));
      }
    }
    return h("li", { class: cancelled ? "visit visit-cancelled" : "visit" },
      h("h3", { id: headingId }, cancelled ? "Cancelled: " : null, visitWhen(v.start, v.end)),
      facts(rows),
      asked && !cancelled ? h("p", { class: "hint" }, "You asked to cancel this visit. It stays booked until the office confirms.") : null,
      actions.length ? h("div", { class: "actions" }, actions) : null,
      status);
  };

  const addToCalendar = async (button, v, status) => {
    button.disabled = true;
    status.replaceChildren();
    try {
      const blob = await apiFile(patientPath(patient.id, `appointments/${encodeURIComponent(v.id)}/calendar`), CALENDAR);
      if (saved) URL.revokeObjectURL(saved);
      saved = URL.createObjectURL(new Blob([blob], { type: CALENDAR }));
      const file = link(saved, `Save ${FILE} again`, { download: FILE, type: CALENDAR });
      say(status, notice(h("span", {}, `The visit is downloaded as ${FILE}. Open it to add the visit to your calendar. `, file)));
      file.click();
    } catch (error) {
      say(status, alertBox(error.message));
    } finally {
      button.disabled = false;
    }
  };

  const askToCancel = async (v, status) => {
    const when = visitWhenText(v.start, v.end);
    const yes = await confirmDialog(
      `Ask ${clinicName(v.clinic)} to cancel the visit on ${when}? The visit stays booked until the office confirms the cancellation.`,
      "Ask to cancel", "Keep the visit");
    if (!yes) return;
    status.replaceChildren();
    if (!cancelKeys.has(v.id)) cancelKeys.set(v.id, newKey());
    try {
      await api("POST", patientPath(patient.id, `appointments/${encodeURIComponent(v.id)}/cancel-request`), { body: {}, key: cancelKeys.get(v.id) });
      cancelKeys.delete(v.id);
      again(`Your request to cancel the visit on ${when} is sent. The visit stays booked until the office confirms the cancellation.`);
    } catch (error) {
      say(status, alertBox(error.message));
    }
  };

  const upcomingList = pagedList({ first: upcoming, next: (cursor) => visitsPage(patient.id, "upcoming", 25, cursor),
    item: visitItem, noun: "upcoming visits", moreLabel: "More upcoming visits", listClass: "visits" });

  const pastRow = (v) => h("tr", {},
    h("td", {}, visitWhen(v.start, v.end)),
    h("td", {}, clinicName(v.clinic), v.location ? h("span", { class: "hint block" }, v.location) : null),
    h("td", {}, v.provider ?? ""),
    h("td", {}, v.type ?? ""),
    h("td", {}, visitStatus(v.status)));
  const pastTable = await pagedTable(`${possessive(patient.name)} past visits, newest first`, ["When", "Clinic", "Provider", "Type", "Status"],
    { next: (cursor) => visitsPage(patient.id, "past", 25, cursor), row: pastRow, noun: "past visits", first: past, moreLabel: "More past visits" });

  const cancelRequest = async (r) => {
    const yes = await confirmDialog(`Cancel your request (${kindText(r.kind).toLowerCase()}) sent on ${easternText(r.created)}?`, "Cancel request", "Keep the request");
    if (!yes) return;
    try {
      await api("POST", patientPath(patient.id, `appointment-requests/${encodeURIComponent(r.id)}/cancel`));
      again("Your request is cancelled.");
    } catch (error) {
      // The list as it is now, with why.
      show({ ...ctx, flash: null, alert: error.status === 409
        ? "The office has already answered this request, so it can no longer be cancelled here. Please call the office."
        : error.message });
    }
  };
  const requestItem = (r, n) => {
    const headingId = `request-${n}`;
    const rows = [["Status", requestState(r)], ["Sent", easternWhen(r.created)]];
    if (r.updated !== r.created) rows.push(["Changed", easternWhen(r.updated)]);
    if (r.kind === "cancel" && r.appointment_start) rows.push(["Visit", visitWhen(r.appointment_start)]);
    if (r.reason) rows.push(["Reason", h("span", { class: "note" }, r.reason)]);
    if (r.confidential) rows.push(["Confidential", "Yes: parents and guardians do not see it."]);
    let action = null;
    if (family && r.status === "requested") {
      action = h("button", { type: "button", class: "danger", "aria-describedby": headingId, onclick: () => cancelRequest(r) }, "Cancel request");
    } else if (!family) {
      action = link(`/office/appointments?id=${encodeURIComponent(r.id)}`, "Open in Appointment requests", { "aria-describedby": headingId });
    }
    return h("li", { class: "request" },
      h("h3", { id: headingId }, `${kindText(r.kind)} at ${clinicName(r.clinic)}`),
      facts(rows),
      action ? h("div", { class: "actions" }, action) : null);
  };
  const requestList = pagedList({ first: requests, next: (cursor) => requestsPage(patient.id, 25, cursor),
    item: requestItem, noun: "requests", moreLabel: "More requests", listClass: "visits requests" });

  page(
    TITLE,
    whose(patient.name),
    ctx.flash ? notice(ctx.flash) : null,
    ctx.alert ? alertBox(ctx.alert) : null,
    h("p", { class: "lead" }, `Times are ${EASTERN_LABEL}, the hospital's time zone.`),
    family ? h("p", { class: "top-actions" }, link("/appointments/new", "New Appointment", { class: "button-link" })) : null,
    h("section", { class: "card", "aria-labelledby": "upcoming-h" },
      h("h2", { id: "upcoming-h" }, "Upcoming visits"),
      upcomingList.count === 0
        ? h("p", {}, "No upcoming visits. Visits the clinic books for you appear here.")
        : upcomingList.el),
    h("section", { class: "card", "aria-labelledby": "past-h" },
      h("h2", { id: "past-h" }, "Past visits"),
      pastTable.count === 0 ? h("p", {}, "No past visits in the portal yet.") : pastTable.el),
    h("section", { class: "card", "aria-labelledby": "requests-h" },
      h("h2", { id: "requests-h" }, family ? "Your requests" : "Requests"),
      requestList.count === 0
        ? h("p", {}, family ? ["No requests yet. To ask for a visit, use ", link("/appointments/new", "New Appointment"), "."] : "No requests.")
        : requestList.el),
    patient.office ? backTo(patient) : null,
  );
}
