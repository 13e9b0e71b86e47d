// For hospital portal administrators: "Security events": sign-ins and lock-outs, password
// changes and resets, and what the office did to accounts, newest first.

import { api } from "../api.js";
import { when } from "../records.js";
import { h, loadedFor, page, pagedTable } from "../ui.js";
import { OUTCOMES, SECURITY_EVENTS } from "../words.js";

const TITLE = "Security events";

function next(cursor) {
  const query = new URLSearchParams({ limit: "25" });
  if (cursor) query.set("cursor", cursor);
  return api("GET", `/api/admin/security-events?${query}`);
}

export async function show() {
  const first = await loadedFor(TITLE, next(null));
  if (!first) return;
  const row = (item) => h("tr", {},
    h("td", {}, when(item.at)),
    h("td", {}, SECURITY_EVENTS[item.event] ?? item.event),
    h("td", {}, OUTCOMES[item.outcome] ?? item.outcome),
    h("td", {}, item.target ?? "An unknown username"),
    h("td", {}, item.actor ?? "The person signing in"),
    h("td", {}, h("code", {}, item.request_id)));
  const log = await pagedTable("Security events, newest first", ["When", "What", "Outcome", "Account", "Done by", "Request id"], { next, row, noun: "events", first });
  page(
    TITLE,
    h("p", { class: "lead" }, "Every sign-in, lock-out, password change and reset, and every account the office created, disabled, enabled, renamed or sent login information to. Passwords, codes and what people typed are never recorded."),
    h("section", { class: "card" }, log.count === 0 ? h("p", {}, "Nothing has happened yet.") : log.el),
  );
}
