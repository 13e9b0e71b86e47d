// Appointments as every page shows them: times in the hospital's time zone (America/New_York,
// said as "Eastern Time" wherever a time is shown, whatever the browser's own zone), a
// date and time of the office's form as an RFC 3339 instant with that day's offset, the
// state of a request in words, and the welcome page's "Next visit". (The count of open
// requests beside the office's menu entry is in counts.js.)

import { api } from "./api.js";
import { patientPath } from "./records.js";
import { h, link } from "./ui.js";
import { REQUEST_KINDS, REQUEST_STATUSES, VISIT_STATUSES } from "./words.js";

export const EASTERN = "America/New_York";
export const EASTERN_LABEL = "Eastern Time";

const DAY = new Intl.DateTimeFormat("en-US", { timeZone: EASTERN, weekday: "long", month: "long", day: "numeric", year: "numeric" });
const SHORT_DAY = new Intl.DateTimeFormat("en-US", { timeZone: EASTERN, month: "short", day: "numeric", year: "numeric" });
const TIME = new Intl.DateTimeFormat("en-US", { timeZone: EASTERN, hour: "numeric", minute: "2-digit" });
const ISO_DAY = new Intl.DateTimeFormat("en-CA", { timeZone: EASTERN, year: "numeric", month: "2-digit", day: "2-digit" });
const OFFSET = new Intl.DateTimeFormat("en-US", { timeZone: EASTERN, timeZoneName: "longOffset" });

// Newer ICU writes "9:30\u202fAM"; people and screen readers read a plain space alike.
const plain = (text) => text.replace(/[\u202f\u2009]/g, " ");

function at(instant) {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "Thursday, December 3, 2026, 9:30 AM to 10:00 AM Eastern Time". */
export function visitWhenText(start, end = null) {
  const s = at(start);
  if (!s) return start;
  const e = end ? at(end) : null;
  const day = plain(DAY.format(s));
  if (!e) return `${day}, ${plain(TIME.format(s))} ${EASTERN_LABEL}`;
  const sameDay = ISO_DAY.format(s) === ISO_DAY.format(e);
  const until = sameDay ? plain(TIME.format(e)) : `${plain(DAY.format(e))}, ${plain(TIME.format(e))}`;
  return `${day}, ${plain(TIME.format(s))} to ${until} ${EASTERN_LABEL}`;
}

/** The same as a <time> element. */
export function visitWhen(start, end = null) {
  return h("time", { datetime: start }, visitWhenText(start, end));
}

/** An instant as a short date and time in Eastern Time: "Dec 3, 2026, 9:30 AM ET"
 * (`label: false` leaves "ET" off where a heading says it already). */
export function easternText(instant, { label = true } = {}) {
  const d = at(instant?.replace?.(/(\.\d{3})\d+/, "$1") ?? instant);
  if (!d) return instant;
  return `${plain(SHORT_DAY.format(d))}, ${plain(TIME.format(d))}${label ? " ET" : ""}`;
}

export function easternWhen(instant, options) {
  return h("time", { datetime: instant, class: "nowrap" }, easternText(instant, options));
}

/** A calendar date (YYYY-MM-DD) as "Dec 3, 2026", never shifted by a time zone. */
export function dateText(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" });
}

/** Today in the hospital's time zone, as YYYY-MM-DD. */
export function easternToday() {
  return ISO_DAY.format(new Date());
}

/** `iso` (YYYY-MM-DD) plus `days`. */
export function addDays(iso, days) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Eastern Time's offset from UTC at instant `ms`, in minutes (-300 in winter, -240 in summer). */
function offsetMinutes(ms) {
  const name = OFFSET.formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const m = /GMT([+-])(\d{1,2})(?::?(\d{2}))?/.exec(name);
  if (!m) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

const two = (n) => String(n).padStart(2, "0");

/** Instant `ms` as RFC 3339 in Eastern Time with that moment's offset:
 * "2026-12-03T09:30:00-05:00", "2026-07-01T09:30:00-04:00". */
export function easternRfc3339(ms) {
  const offset = offsetMinutes(ms);
  const wall = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${wall.getUTCFullYear()}-${two(wall.getUTCMonth() + 1)}-${two(wall.getUTCDate())}T${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}:00${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/** The instant (ms) of the Eastern wall time `time` ("09:30") on `date` ("2026-12-03"),
 * with the offset in force on that day (DST-aware); null for a time the clocks skip (the
 * spring-forward hour). */
export function easternInstant(date, time) {
  const [y, mo, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mm);
  let ms = wall - offsetMinutes(wall) * 60_000;
  const again = offsetMinutes(ms);
  ms = wall - again * 60_000;
  // The wall time read back must be the one asked for; in the skipped hour it is not.
  return easternRfc3339(ms).startsWith(`${date}T${two(hh)}:${two(mm)}`) ? ms : null;
}

// ---- visits and requests

function paged(path, params, cursor) {
  const query = new URLSearchParams(params);
  if (cursor) query.set("cursor", cursor);
  return api("GET", `${path}?${query}`);
}

/** One page of a patient's visits: `when` "upcoming" (soonest first) or "past" (newest first). */
export function visitsPage(patientId, when, limit = 25, cursor = null) {
  return paged(patientPath(patientId, "appointments"), { when, limit: String(limit) }, cursor);
}

/** One page of a patient's requests, newest first. */
export function requestsPage(patientId, limit = 25, cursor = null) {
  return paged(patientPath(patientId, "appointment-requests"), { limit: String(limit) }, cursor);
}

export function visitStatus(status) {
  return VISIT_STATUSES[status] ?? status;
}

export function kindText(kind) {
  return REQUEST_KINDS[kind] ?? kind;
}

/** Where a request stands, in words with what goes with it: the visit's time once
 * scheduled, the office's reason once declined. */
export function requestState(r) {
  const words = REQUEST_STATUSES[r.status] ?? r.status;
  switch (r.status) {
    case "scheduled":
      return r.appointment_start ? [h("strong", {}, words), ": ", visitWhen(r.appointment_start)] : h("strong", {}, words);
    case "declined":
      return r.decline_reason
        ? [h("strong", {}, words), ". The office's reason: ", h("span", { class: "note" }, r.decline_reason)]
        : h("strong", {}, words);
    case "confirmed":
      return [h("strong", {}, words), ": the visit is cancelled."];
    default:
      return h("strong", {}, words);
  }
}

/** How long a request has waited, as the office reads it: "3 days". */
export function waited(days) {
  if (days === 0) return "Less than a day";
  return days === 1 ? "1 day" : `${days} days`;
}

// ---- the welcome page's next visit

/** The next upcoming visit that is not cancelled, filled in when it comes; nothing at all
 * when there is none (or it cannot be had: the Appointments page says why). */
export function nextVisit(patient, names) {
  const box = h("div");
  (async () => {
    let cursor = null;
    for (let pages = 0; pages < 4; pages += 1) {
      const page = await visitsPage(patient.id, "upcoming", 10, cursor);
      const visit = page.items.find((v) => v.status !== "cancelled");
      if (visit) return visit;
      cursor = page.cursor ?? null;
      if (!cursor) return null;
    }
    return null;
  })()
    .then(async (visit) => {
      if (!visit) return;
      const clinic = (await names).get(visit.clinic) ?? visit.clinic;
      box.replaceChildren(h("section", { class: "card next-visit", "aria-labelledby": "next-visit-h" },
        h("h2", { id: "next-visit-h" }, "Next visit"),
        h("p", { class: "visit-when" }, visitWhen(visit.start, visit.end)),
        h("p", {}, [clinic, visit.provider, visit.location].filter(Boolean).join(" · ")),
        h("p", {}, link("/appointments", "Appointments"), ": every upcoming visit, past visits and your requests.")));
    })
    .catch(() => {});
  return box;
}
