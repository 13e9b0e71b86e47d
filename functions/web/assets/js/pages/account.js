// "My Account": who is signed in, and "reset password" (the current password is required).

import { api, clinicNames } from "../api.js";
import * as session from "../session.js";
import { PASSWORD_RULES, facts, fieldError, form, h, notice, page } from "../ui.js";
import { ROLES } from "../words.js";

export function show() {
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
      status.replaceChildren(notice("Your password has been changed. Use the new one next time you sign in."));
    },
  });
  const rows = [["Username", me.username], ["Email address", me.email]];
  const roles = me.roles.map((r) => ROLES[r]).filter(Boolean);
  if (roles.length) rows.push(["Role", roles.join(", ")]);
  const clinicList = h("span", {}, me.clinics.join(", "));
  if (me.clinics.length) rows.push(["Clinics", clinicList]);
  page(
    "My Account",
    h("section", { class: "card", "aria-labelledby": "login-h" },
      h("h2", { id: "login-h" }, "Portal login information"),
      facts(rows),
      roles.length ? null : h("p", { class: "hint" }, "Your username is assigned by your provider's office. To change it, ask the office at your next visit.")),
    h("section", { class: "card", "aria-labelledby": "reset-h" }, h("h2", { id: "reset-h" }, "Reset password"), status, f.el),
  );
  if (me.clinics.length) {
    clinicNames().then((names) => {
      clinicList.textContent = me.clinics.map((c) => names.get(c) ?? c).join(", ");
    });
  }
}
