// "My Account": the child's record (Pt Demographics, Additional information, who viewed or
// changed it) and, for an account of several children, which child; who is signed in, the
// security questions, the "New information emails" setting, two-step sign-in, and "reset
// password" (the current password is required).

import { api, clinicNames } from "../api.js";
import { pickerCard, possessive } from "../patient.js";
import { say } from "../records.js";
import * as session from "../session.js";
import { PASSWORD_RULES, alertBox, facts, fieldError, form, h, link, notice, page } from "../ui.js";
import { ROLES } from "../words.js";
import { CODE_FIELD, keyCard } from "./two-step.js";

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

/** "New information emails": one email, naming nothing, when something new is in the
 * portal; on unless the family turned it off. Families only: staff are sent none. The
 * setting as saved is always shown beside the checkbox. */
function emailsCard() {
  if (session.isStaff()) return null;
  const state = h("p", { class: "saved-state" });
  const status = h("div", { role: "status" });
  const box = h("div", { "aria-busy": "true" }, h("p", {}, "Loading the setting…"));
  const showState = (on) => state.replaceChildren("Saved setting: ", h("strong", {}, on ? "on" : "off"), on
    ? ". You get an email when new information is in the portal."
    : ". You get no email about new information; you see it when you sign in.");
  const build = (on) => form({
    fields: [{
      name: "email_on_new_information",
      label: "Email setting",
      type: "checkboxes",
      required: false,
      hint: "The email says only that something new is waiting: it names no one, and no test, clinic or date. At most one an hour.",
      options: [{ value: "on", label: "Email me when new information is in the portal", checked: on }],
    }],
    submit: "Save email setting",
    onSubmit: async (v) => {
      status.replaceChildren();
      const wanted = v.email_on_new_information.includes("on");
      const saved = await api("PUT", "/api/account/notifications", { body: { email_on_new_information: wanted } });
      showState(saved.email_on_new_information);
      say(status, notice(saved.email_on_new_information
        ? "Saved. You will get an email when new information is in the portal."
        : "Saved. You will not get emails about new information."));
    },
  }).el;
  api("GET", "/api/account/notifications")
    .then((n) => {
      showState(n.email_on_new_information);
      box.replaceChildren(build(n.email_on_new_information));
    })
    .catch((error) => box.replaceChildren(alertBox(error.message)))
    .finally(() => box.removeAttribute("aria-busy"));
  return h("section", { class: "card", "aria-labelledby": "emails-h" },
    h("h2", { id: "emails-h" }, "New information emails"), state, status, box);
}

/** "Two-step sign-in": a code from an app on the phone at each sign-in, besides the
 * password. Required for staff and admins (set up at their first sign-in); families may turn
 * it on with their password, and off with their password and a code. */
function twoStepCard() {
  const me = session.current();
  const status = h("div", { role: "status" });
  const body = h("div", {});
  const card = h("section", { class: "card", "aria-labelledby": "two-step-h" },
    h("h2", { id: "two-step-h" }, "Two-step sign-in"), status, body);
  // "Password", not "Current password": the "Reset password" card below has that one.
  const password = { name: "current_password", label: "Password", type: "password", autocomplete: "current-password" };
  const render = () => {
    if (me.two_step && session.isStaff()) {
      body.replaceChildren(
        h("p", {}, h("strong", {}, "On."), " Each sign-in asks for the code from the app on your phone."),
        h("p", { class: "hint" }, "Staff and admins must keep it on. For a new phone, ask an admin to reset your two-step sign-in; you then set it up again at your next sign-in."));
    } else if (me.two_step) {
      const off = form({
        fields: [password, CODE_FIELD],
        submit: "Turn off two-step sign-in",
        onSubmit: async (v) => {
          await api("POST", "/api/account/mfa/disable", { body: { current_password: v.current_password, code: v.code } });
          me.two_step = false;
          render();
          say(status, notice("Two-step sign-in is off. You sign in with your password only."));
        },
      });
      body.replaceChildren(h("p", {}, h("strong", {}, "On."), " Each sign-in asks for the code from the app on your phone."), off.el);
    } else {
      const on = form({
        fields: [password],
        submit: "Turn on two-step sign-in",
        onSubmit: async (v) => {
          const key = await api("POST", "/api/account/mfa/setup", { body: { current_password: v.current_password } });
          const verify = form({
            fields: [CODE_FIELD],
            submit: "Turn on",
            onSubmit: async ({ code }) => {
              await api("POST", "/api/account/mfa/verify", { body: { code } });
              me.two_step = true;
              render();
              say(status, notice("Two-step sign-in is on. From now on, each sign-in asks for the code from the app."));
            },
          });
          body.replaceChildren(keyCard(key), verify.el);
        },
      });
      body.replaceChildren(
        h("p", {}, h("strong", {}, "Off."), " Add a code from an authenticator app on your phone to each sign-in, so that a password alone does not open your child's record."),
        on.el);
    }
  };
  render();
  return card;
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
    emailsCard(),
    twoStepCard(),
    h("section", { class: "card", "aria-labelledby": "reset-h" }, h("h2", { id: "reset-h" }, "Reset password"), status, f.el),
  );
  if (me.clinics.length) {
    clinicNames().then((names) => {
      clinicList.textContent = me.clinics.map((c) => names.get(c) ?? c).join(", ");
    });
  }
}
