// Every call to the portal's API. The access token lives in this module's memory only;
// the session cookie (HttpOnly, gone when the browser closes) brings a new one after a
// reload or expiry. The server rotates that cookie on every refresh, so the portal's tabs
// take turns (a Web Lock): each refreshes with the cookie the last one got.

let accessToken = null;
let refreshing = null;

/** An answer the API refused, as a plain sentence for people (never raw JSON). */
class ApiError extends Error {
  constructor(status, problem) {
    super(sentenceFor(status, problem));
    this.status = status;
    this.type = problem?.type ?? "";
    this.field = problem?.field ?? null;
  }
}

function sentenceFor(status, problem) {
  if (status === 0) return "The portal cannot be reached. Check your internet connection and try again.";
  if (status === 503 || status === 429) return "The portal is busy right now. Please try again in a minute.";
  if (status >= 500) return "Something went wrong on our side. Please try again in a minute.";
  if (problem && typeof problem.detail === "string" && problem.detail) return problem.detail;
  return "The portal could not do that. Please check what you entered and try again.";
}

export function hasToken() {
  return accessToken !== null;
}

/** One request. `body` is sent as JSON; `key` as the Idempotency-Key of a create. Throws
 * ApiError with a sentence; a 401 with a token is retried once after a refresh. */
export async function api(method, path, { body, key } = {}) {
  const res = await send(method, path, { body, key, accept: "application/json" });
  const data = await parsed(res);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** A file the API answers (e.g. the FHIR export) as a Blob of its own content type, fetched
 * with the access token like any call, for the page to offer as a download. */
export async function apiFile(path, accept) {
  const res = await send("GET", path, { accept });
  if (!res.ok) throw new ApiError(res.status, await parsed(res));
  return res.blob();
}

async function send(method, path, { body, key, accept, retried = false }) {
  const headers = { Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const usedToken = accessToken;
  if (usedToken) headers.Authorization = `Bearer ${usedToken}`;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (res.status === 401 && usedToken && !retried) {
    if (await refresh()) return send(method, path, { body, key, accept, retried: true });
    window.dispatchEvent(new CustomEvent("portal:session-ended"));
  }
  return res;
}

/** The answer's JSON (a problem, for a refusal), or null when it has none. */
async function parsed(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

let refreshedAt = 0;

/** A new access token from the session cookie; false when there is no session. Concurrent
 * callers of a tab share one request; tabs take turns. */
export function refresh() {
  const once = () => fetch("/api/auth/refresh", { method: "POST", credentials: "same-origin", cache: "no-store" })
    .then(async (res) => {
      if (!res.ok) {
        accessToken = null;
        return false;
      }
      accessToken = (await res.json()).access_token;
      refreshedAt = Date.now();
      return true;
    })
    .catch(() => false);
  refreshing ??= (navigator.locks ? navigator.locks.request("portal-session-refresh", once) : once())
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Tells the server the person is active (it ends a session idle for the idle limit): a
 * refresh, at most once a minute. */
export function keepAlive() {
  if (accessToken !== null && Date.now() - refreshedAt > 60_000) refresh();
}

/** A sign-in's token: the session starts now. */
export function setToken(token) {
  accessToken = token;
  refreshedAt = Date.now();
}

/** A fresh key for one create, kept by the form until it succeeds so a retry is safe. */
export function newKey() {
  return crypto.randomUUID();
}

let clinicList = null;

/** The 18 participating clinics ({ id, name }), fetched once per page load. */
export function clinics() {
  clinicList ??= api("GET", "/api/clinics").catch((error) => {
    clinicList = null;
    throw error;
  });
  return clinicList;
}

/** Clinic names by id; an empty map when the list cannot be had (ids are shown then). */
export async function clinicNames() {
  return new Map((await clinics().catch(() => [])).map((c) => [c.id, c.name]));
}
