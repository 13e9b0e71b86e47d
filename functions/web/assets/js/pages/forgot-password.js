// "Forgot Password?": the username only. The answer is the same whether or not the
// username exists, so the page says the same too.

import { api } from "../api.js";
import { form, h, link, notice, page } from "../ui.js";

export function show() {
  const f = form({
    fields: [{ name: "username", label: "Username", autocomplete: "username", hint: "You must know your username. It is in the email with the subject \"Portal login information\"." }],
    submit: "Send reset link",
    onSubmit: async ({ username }) => {
      await api("POST", "/api/auth/forgot-password", { body: { username: username.trim() } });
      page(
        "Check your email",
        notice("If this username has a portal account, we have sent an email to its address with a link to reset the password."),
        h("p", {}, "Open the link in the email and answer one of your security questions. The link works for one hour."),
        h("p", {}, "No email? Check your spam folder, or ask your provider's office to check your username. ", link("/sign-in", "Back to sign in")),
      );
    },
  });
  page(
    "Forgot Password?",
    h("p", { class: "lead" }, "Enter your username and we will email you a link to reset your password."),
    h("div", { class: "card" }, f.el),
    h("p", {}, link("/sign-in", "Back to sign in")),
  );
}
