// For clinic office staff and admins: find an account by username, then resend its login
// information, change its username, reset its two-step sign-in (a lost phone), disable /
// enable it, or unlink one of its patients.

import { api, clinicNames } from "../api.js";
import { alertBox, confirmDialog, facts, form, h, notice, page } from "../ui.js";
import { ACCOUNT_KINDS, RELATIONSHIPS } from "../words.js";

function path(username, action = "") {
  return `/api/admin/accounts/${encodeURIComponent(username)}${action}`;
}

export function show() {
  const result = h("div", {});
  const find = form({
    fields: [{ name: "username", label: "Username", autocomplete: "off" }],
    submit: "Find account",
    onSubmit: async ({ username }) => {
      result.replaceChildren();
      const account = await api("GET", path(username.trim()));
      await showAccount(result, account);
    },
  });
  page(
    "Find an account",
    h("p", { class: "lead" }, "Look up a family's account by its username to help them sign in."),
    h("div", { class: "card" }, find.el),
    result,
  );
}

async function showAccount(into, account, message = null) {
  const names = await clinicNames();
  const status = h("div", { role: "status" }, message ? notice(message) : null);
  const rows = [
    ["Username", account.username],
    ["Email address", account.email],
    ["Account", ACCOUNT_KINDS[account.kind] ?? account.kind],
    ["Status", account.enabled ? "Enabled" : "Disabled: cannot sign in"],
    ["First sign-in", account.first_sign_in_done ? "Done: password and security questions chosen" : "Not yet: waiting for the family to use the temporary password"],
    ["Two-step sign-in", account.two_step ? "On: each sign-in asks for a code from the app" : "Off"],
  ];
  if (account.clinics.length) rows.push(["Clinics", account.clinics.map((c) => names.get(c) ?? c).join(", ")]);
  const act = (label, run, cls) => h("button", { type: "button", class: cls, onclick: run }, label);
  const fail = (error) => status.replaceChildren(alertBox(error.message));
  const refreshWith = async (username, text) => {
    try {
      await showAccount(into, await api("GET", path(username)), text);
    } catch (error) {
      fail(error);
    }
  };
  const resend = async () => {
    try {
      await api("POST", path(account.username, "/resend-credentials"));
      await refreshWith(account.username, `New login information has been sent to ${account.email}. The previous password no longer works.`);
    } catch (error) {
      fail(error);
    }
  };
  const toggle = async () => {
    try {
      await api("POST", path(account.username, account.enabled ? "/disable" : "/enable"));
      await refreshWith(account.username, account.enabled ? "The account is disabled. It can no longer sign in." : "The account is enabled. It can sign in again.");
    } catch (error) {
      fail(error);
    }
  };
  // A lost phone: the code app's key goes, and every session; staff set it up again at the
  // next sign-in.
  const resetTwoStep = async () => {
    if (!(await confirmDialog(`Reset two-step sign-in for ${account.username}? Every session of the account ends. Do this only when you know who is asking, for a lost or new phone.`, "Reset two-step sign-in"))) return;
    try {
      await api("POST", path(account.username, "/mfa-reset"));
      await refreshWith(account.username, account.kind === "family"
        ? "Two-step sign-in is reset. The account signs in with its password only, and may turn two-step sign-in on again in My Account."
        : "Two-step sign-in is reset. At the next sign-in, the account sets it up again with the new phone.");
    } catch (error) {
      fail(error);
    }
  };
  const unlink = async (p) => {
    const name = `${p.given_name} ${p.family_name}`;
    if (!(await confirmDialog(`Unlink ${name} from the account ${account.username}? The account will no longer see this patient's record.`, "Unlink"))) return;
    try {
      await api("DELETE", path(account.username, `/patients/${encodeURIComponent(p.id)}`));
      await refreshWith(account.username, `${name} is no longer linked to the account ${account.username}.`);
    } catch (error) {
      fail(error);
    }
  };
  const patients = account.patients.length
    ? [h("h3", {}, account.patients.length === 1 ? "Patient" : "Patients"),
        h("ul", { class: "linked" }, account.patients.map((p) => h("li", {},
          h("span", {}, `${p.given_name} ${p.family_name}, born ${p.birth_date}, ${names.get(p.clinic) ?? p.clinic} (${RELATIONSHIPS[p.relationship] ?? p.relationship})`),
          h("button", { type: "button", class: "danger", onclick: () => unlink(p) },
            "Unlink", h("span", { class: "visually-hidden" }, ` ${p.given_name} ${p.family_name}`)))))]
    : null;
  const rename = form({
    fields: [{ name: "new_username", label: "New username", autocomplete: "off", hint: "3 to 64 letters, digits, dots, dashes or underscores. The old username stops working at once." }],
    submit: "Change username",
    onSubmit: async ({ new_username }) => {
      const changed = await api("PUT", path(account.username, "/username"), { body: { new_username: new_username.trim() } });
      await refreshWith(changed.username, `The username is now ${changed.username}. Tell the family to sign in with it.`);
    },
  });
  into.replaceChildren(
    h("section", { class: "card", "aria-labelledby": "acct-h" },
      h("h2", { id: "acct-h" }, `Account ${account.username}`),
      status,
      facts(rows),
      patients,
      h("div", { class: "actions" },
        act("Resend login information", resend),
        account.two_step ? act("Reset two-step sign-in", resetTwoStep) : null,
        account.enabled ? act("Disable account", toggle, "danger") : act("Enable account", toggle))),
    h("section", { class: "card", "aria-labelledby": "rename-h" }, h("h2", { id: "rename-h" }, "Change username"), rename.el),
  );
}
