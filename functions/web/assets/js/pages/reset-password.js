// The page the reset email's link opens: answer a security question, choose a new
// password. The code is taken out of the address bar at once and kept in memory only.

import { api } from "../api.js";
import { PASSWORD_RULES, fieldError, form, h, link, loadedFor, page } from "../ui.js";

// { username, code } of the email's link, for this page only.
let fromEmail = null;

export async function show({ query, go }) {
  if (query.has("code")) {
    fromEmail = { username: query.get("username") ?? "", code: query.get("code") ?? "" };
    history.replaceState(null, "", "/reset-password");
  }
  const again = () => h("p", {}, link("/forgot-password", "Send me a new link"));
  if (!fromEmail?.username || !fromEmail?.code) {
    page("Reset your password", h("p", {}, "Open this page from the link in your password reset email."), again());
    return;
  }
  const { username, code } = fromEmail;
  const question = await loadedFor("Reset your password", api("POST", "/api/auth/reset-question", { body: { username, code } }), again());
  if (!question) return;
  const f = form({
    fields: [
      { name: "answer", label: question.text, term: "Your answer", hint: "Your answer to this security question." },
      { name: "new_password", label: "New password", type: "password", autocomplete: "new-password", rules: PASSWORD_RULES },
      { name: "confirm_password", label: "New password again", type: "password", autocomplete: "new-password" },
    ],
    submit: "Reset password",
    onSubmit: async (v) => {
      if (v.new_password !== v.confirm_password) throw fieldError("confirm_password", "The two new passwords are not the same.");
      await api("POST", "/api/auth/reset-password", {
        body: { username, code, question_id: question.question_id, answer: v.answer, new_password: v.new_password },
      });
      fromEmail = null;
      go("/sign-in", "Your password has been reset. Sign in with your new password.");
    },
  });
  page(
    "Reset your password",
    h("p", { class: "lead" }, "Username: ", h("strong", {}, username)),
    h("div", { class: "card" }, f.el),
    again(),
  );
}
