// The welcome page after sign-in: whose records this account holds, and the portal's
// menu for the role. Only what exists is offered.

import * as session from "../session.js";
import { h, notice, page } from "../ui.js";
import { RELATIONSHIPS } from "../words.js";

function tile(href, title, text) {
  return h("li", {}, h("a", { href }, title, h("span", {}, text)));
}

export function show({ flash }) {
  const me = session.current();
  const tiles = [];
  if (session.isStaff()) {
    tiles.push(tile("/office/register", "Register a patient", "Register a patient and create the family's portal account."));
    tiles.push(tile("/office/accounts", "Find an account", "Resend login information, change a username, disable or enable."));
  }
  if (session.isAdmin()) {
    tiles.push(tile("/admin/staff", "Staff accounts", "Create office staff and admin accounts."));
  }
  tiles.push(tile("/account", "My Account", "Your username, email address and reset password."));
  tiles.push(tile("/help", "Help", "Questions about the portal and the participating clinics."));
  const patients = me.patients.length
    ? h("section", { "aria-labelledby": "patients-h" },
        h("h2", { id: "patients-h" }, me.patients.length === 1 ? "Your patient" : "Your patients"),
        h("ul", {}, me.patients.map((p) => h("li", {}, h("strong", {}, p.given_name), `: ${RELATIONSHIPS[p.relationship] ?? p.relationship}`))))
    : null;
  page(
    `Welcome, ${me.username}`,
    flash ? notice(flash) : null,
    patients,
    h("nav", { "aria-label": "What you can do" }, h("ul", { class: "menu-tiles" }, tiles)),
  );
}
