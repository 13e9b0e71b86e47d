// For hospital portal administrators: create clinic office staff and admin accounts.

import { api, clinicNames, clinics, newKey } from "../api.js";
import { facts, fieldError, form, h, loadedFor, notice, page } from "../ui.js";
import { ROLES, options } from "../words.js";

export async function show({ go }) {
  const list = await loadedFor("Staff accounts", clinics());
  if (!list) return;
  let key = newKey();
  const f = form({
    fields: [
      { name: "given_name", label: "First name", autocomplete: "off" },
      { name: "family_name", label: "Last name", autocomplete: "off" },
      { name: "username", label: "Username", autocomplete: "off", hint: "3 to 64 letters, digits, dots, dashes or underscores." },
      { name: "email", label: "Work email address", type: "email", autocomplete: "off", hint: "The login information is sent here." },
      { name: "role", label: "Role", options: options(ROLES) },
      { name: "clinics", label: "Clinics", type: "checkboxes", required: false, hint: "Office staff see and help the families of these clinics only.", options: list.map((c) => ({ value: c.id, label: c.name })) },
    ],
    submit: "Create account",
    onSubmit: async (v) => {
      if (v.role === "staff" && v.clinics.length === 0) throw fieldError("clinics", "Choose at least one clinic for office staff.");
      const created = await api("POST", "/api/admin/staff", {
        body: { username: v.username.trim(), email: v.email.trim(), given_name: v.given_name.trim(), family_name: v.family_name.trim(), role: v.role, clinics: v.clinics },
        key,
      });
      const names = await clinicNames();
      page(
        "Account created",
        notice(`The login information email has been sent to ${created.email}.`),
        h("section", { class: "card" }, facts([
          ["Username", created.username],
          ["Role", ROLES[created.role] ?? created.role],
          ["Clinics", created.clinics.map((c) => names.get(c) ?? c).join(", ") || "All (administrator)"],
        ])),
        h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => go("/admin/staff") }, "Create another account")),
      );
    },
  });
  f.el.addEventListener("input", () => {
    key = newKey();
  });
  f.el.addEventListener("change", () => {
    key = newKey();
  });
  page("Staff accounts", h("p", { class: "lead" }, "Create an account for clinic office staff or a hospital portal administrator. They receive an email with the subject \"Portal login information\"."), h("div", { class: "card" }, f.el));
}
