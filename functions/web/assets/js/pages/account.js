// "My Account": the child's record (Pt Demographics, Additional information, who viewed or
// changed it) and, for an account of several children, which child; who is signed in, the
// security questions, and "reset password" (the current password is required).

import { api, clinicNames } from "../api.js";
import { pickerCard, possessive } from "../patient.js";
import * as session from "../session.js";
import { PASSWORD_RULES, facts, fieldError, form, h, link, notice, page } from "../ui.js";
import { ROLES } from "../words.js";

function item(href, title, text) {
  return h("li", {}, link(href, title), h("span", { class: "hint" }, ` ${text}`));
}

/** The child's record: its pages, once it is clear whose. */
function recordCard() {
  if (!session.patients().length) return null;
  const chosen = session.chosenPatient();
  return h("section", { class: "card", "aria-labelledby": "record-h" },
    h("h2", { id: "record-h" }, chosen ? `${possessive(chosen.given_name)} record` : "Your child's record"),
    chosen
      ? h("ul", { class: "links" },
          item("/account/demographics", "Pt Demographics", "Address, phone numbers and email: please check them before each visit."),
          item("/account/additional-info", "Additional information", "Emergency contacts and the preferred pharmacy."),
          item("/account/access-log", "Who viewed or changed this record", "Every view and change, with who and when."))
      : h("p", {}, "Choose whose record to see above first."));
}

export function show({ go, flash }) {
  const me = session.current();
  const status = h("div", { role: "status" });
  const f = form({
    fields: [
      { name: "current_password", label: "Current password", type: "password", autocomplete: "current-password" },
      { name: "new_password", label: "New password", type: "password", autocomplete: "new-password", rules: PASSWORD_RULES },
      { name: "confirm_password", label: "New password again", type: "password", autocomplete: "new-password" },
    ],
    submit: "Reset password",
    onSubmit: async (v) => {
      status.replaceChildren();
      if (v.new_password !== v.confirm_password) throw fieldError("confirm_password", "The two new passwords are not the same.");
      await api("POST", "/api/account/password", { body: { current_password: v.current_password, new_password: v.new_password } });
      f.el.reset(); // no password stays in the page
      // The server ended every session of the account, this one too (a forgotten one on a
      // shared computer among them): say so, and sign in again.
      await session.end();
      go("/sign-in", "Your password has been changed. You were signed out everywhere: sign in with your new password.");
    },
  });
  const rows = [["Username", me.username], ["Email address", me.email]];
  const roles = me.roles.map((r) => ROLES[r]).filter(Boolean);
  if (roles.length) rows.push(["Role", roles.join(", ")]);
  const clinicList = h("span", {}, me.clinics.join(", "));
  if (me.clinics.length) rows.push(["Clinics", clinicList]);
  page(
    "My Account",
    flash ? notice(flash) : null,
    pickerCard((p) => go("/account", `Now showing ${possessive(p.given_name)} record.`, { replace: true })),
    recordCard(),
    h("section", { class: "card", "aria-labelledby": "login-h" },
      h("h2", { id: "login-h" }, "Portal login information"),
      facts(rows),
      roles.length ? null : h("p", { class: "hint" }, "Your username is assigned by your provider's office. To change it, ask the office at your next visit."),
      h("ul", { class: "links" }, item("/account/security-questions", "Security questions", "See which questions are set and change them."))),
    h("section", { class: "card", "aria-labelledby": "reset-h" }, h("h2", { id: "reset-h" }, "Reset password"), status, f.el),
  );
  if (me.clinics.length) {
    clinicNames().then((names) => {
      clinicList.textContent = me.clinics.map((c) => names.get(c) ?? c).join(", ");
    });
  }
}
