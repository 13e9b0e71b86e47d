// Who is signed in, and automatic logoff: after the idle limit without a key press, click
// or touch, the page warns, then signs out and revokes the session on the server.
//
// Sign-out revokes every session of the account, so the portal's tabs act as one: activity
// in any tab keeps all of them signed in, and a sign-out in one ends the others.

import { api, hasToken, keepAlive, refresh, setToken } from "./api.js";

let account = null;
let idleTimer = null;
let warnTimer = null;
let countdown = null;
let lastSaid = 0;

const tabs = "BroadcastChannel" in window ? new BroadcastChannel("portal-session") : null;
if (tabs) {
  tabs.onmessage = ({ data }) => {
    if (!account) return;
    if (data === "active") {
      stopWarning();
      arm();
    } else if (data === "signed-out") {
      window.dispatchEvent(new CustomEvent("portal:session-ended"));
    }
  };
}

export const IDLE_SECONDS = Number(document.querySelector('meta[name="portal-idle-seconds"]')?.content) || 900;
// The warning comes a minute before, or a third of the limit when it is short.
const WARN_SECONDS = Math.min(60, Math.floor(IDLE_SECONDS / 3));

/** The signed-in account (GET /api/account), or null. */
export function current() {
  return account;
}

export function isStaff() {
  return account?.roles.includes("staff") || account?.roles.includes("admin");
}

export function isAdmin() {
  return account?.roles.includes("admin") ?? false;
}

// The patient a family acts for, when the account holds several: chosen on the welcome page
// or in My Account, kept for this tab (by id only, never a name) across reloads.
const CHOSEN = "portal-patient";

function remembered(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null; // storage turned off: the choice lasts until the page reloads
  }
}

function remember(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // As above.
  }
}

let chosenId = remembered(CHOSEN);

/** The patients this account acts for ({ id, given_name, relationship }); none for staff. */
export function patients() {
  return account?.patients ?? [];
}

/** The patient the family acts for: the only one, or the one chosen in this tab; else null. */
export function chosenPatient() {
  const list = patients();
  if (list.length === 1) return list[0];
  return list.find((p) => p.id === chosenId) ?? null;
}

export function choosePatient(id) {
  chosenId = id;
  remember(CHOSEN, id);
}

// The patient an office page is looking at ("Find a patient"), by id, for this tab.
const OFFICE_PATIENT = "portal-office-patient";
let officeId = remembered(OFFICE_PATIENT);

export function officePatientId() {
  return officeId;
}

export function chooseOfficePatient(id) {
  officeId = id;
  remember(OFFICE_PATIENT, id);
}

function forgetChoices() {
  choosePatient(null);
  chooseOfficePatient(null);
}

/** After a reload: the refresh cookie, if any, brings the session back. */
export async function restore() {
  if (!(await refresh())) return false;
  try {
    await load();
    return true;
  } catch {
    setToken(null);
    return false;
  }
}

/** A sign-in answer's access token: the account is signed in from now. */
export async function begin(tokenAnswer) {
  setToken(tokenAnswer.access_token);
  await load();
}

async function load() {
  account = await api("GET", "/api/account");
  watchActivity();
}

/** Ends the session here and on the server (all of this account's sessions). */
export async function end() {
  stopWatching();
  if (hasToken()) {
    try {
      await api("POST", "/api/auth/logout");
    } catch {
      // Already ended on the server, or unreachable: the page forgets it either way.
    }
  }
  setToken(null);
  account = null;
  forgetChoices();
  tabs?.postMessage("signed-out");
}

/** The server ended the session (expired, revoked, disabled): forget it here too. */
export function lost() {
  stopWatching();
  setToken(null);
  account = null;
  forgetChoices();
}

const ACTIVITY = ["keydown", "pointerdown", "wheel", "touchstart"];

function watchActivity() {
  stopWatching();
  for (const type of ACTIVITY) window.addEventListener(type, onActivity, { passive: true, capture: true });
  arm();
}

function stopWatching() {
  for (const type of ACTIVITY) window.removeEventListener(type, onActivity, { capture: true });
  clearTimeout(idleTimer);
  clearTimeout(warnTimer);
  stopWarning();
}

function onActivity() {
  // While the warning shows, only its button keeps the session.
  if (document.getElementById("idle-warning").open) return;
  arm();
  tellOtherTabs();
  keepAlive();
}

function tellOtherTabs() {
  // Often enough for a limit of minutes, rarely enough not to flood on typing.
  const now = Date.now();
  if (now - lastSaid > 2000) {
    lastSaid = now;
    tabs?.postMessage("active");
  }
}

function stopWarning() {
  clearInterval(countdown);
  const dialog = document.getElementById("idle-warning");
  if (dialog.open) dialog.close();
}

function arm() {
  clearTimeout(idleTimer);
  clearTimeout(warnTimer);
  warnTimer = setTimeout(warn, (IDLE_SECONDS - WARN_SECONDS) * 1000);
  idleTimer = setTimeout(() => window.dispatchEvent(new CustomEvent("portal:idle")), IDLE_SECONDS * 1000);
}

function warn() {
  const dialog = document.getElementById("idle-warning");
  const text = document.getElementById("idle-text");
  const stay = document.getElementById("idle-stay");
  let left = WARN_SECONDS;
  const say = () => {
    text.textContent = `For your child's privacy you will be signed out in ${left} seconds because there has been no activity.`;
  };
  say();
  clearInterval(countdown);
  countdown = setInterval(() => {
    left = Math.max(0, left - 1);
    // Announce the countdown sparingly: every 10 seconds is enough to act on.
    if (left % 10 === 0) say();
  }, 1000);
  stay.onclick = () => {
    stopWarning();
    arm();
    lastSaid = 0;
    tellOtherTabs();
    keepAlive();
  };
  // Escape closes the warning: that is activity too.
  dialog.oncancel = stay.onclick;
  dialog.showModal();
  stay.focus();
}
