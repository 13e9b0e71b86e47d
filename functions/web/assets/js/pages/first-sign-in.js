// First sign-in: after the temporary password, choose a new password and three security
// questions. The sign-in challenge is kept in memory only, for this page.

import { api } from "../api.js";
import { PASSWORD_RULES, fieldError, form, h, link, loadedFor, page } from "../ui.js";
import * as twoStep from "./two-step.js";

let pending = null;

export function expect(username, session) {
  pending = { username, session };
}

export async function show({ go, signedIn }) {
  if (!pending) {
    page(
      "Choose your password",
      h("p", {}, "Sign in with the username and temporary password from your email first."),
      h("p", {}, link("/sign-in", "Go to sign in")),
    );
    return;
  }
  const questions = await loadedFor("Choose your password", api("GET", "/api/auth/security-questions"));
  if (!questions) return;
  const options = questions.map((q) => ({ value: q.id, label: q.text }));
  const ordinal = ["First", "Second", "Third"];
  const questionFields = [0, 1, 2].flatMap((i) => [
    { name: `security_questions[${i}].question_id`, label: `${ordinal[i]} security question`, options },
    { name: `security_questions[${i}].answer`, label: `Answer to the ${ordinal[i].toLowerCase()} question`, autocomplete: "off" },
  ]);
  const f = form({
    fields: [
      { name: "new_password", label: "New password", type: "password", autocomplete: "new-password", rules: PASSWORD_RULES },
      { name: "confirm_password", label: "New password again", type: "password", autocomplete: "new-password" },
      ...questionFields,
    ],
    submit: "Save and sign in",
    onSubmit: async (v) => {
      if (v.new_password !== v.confirm_password) throw fieldError("confirm_password", "The two new passwords are not the same.");
      const chosen = [0, 1, 2].map((i) => v[`security_questions[${i}].question_id`]);
      chosen.forEach((id, i) => {
        if (chosen.indexOf(id) !== i) throw fieldError(`security_questions[${i}].question_id`, "Choose three different questions.");
      });
      const answer = await api("POST", "/api/auth/first-login", {
        body: {
          username: pending.username,
          session: pending.session,
          new_password: v.new_password,
          security_questions: [0, 1, 2].map((i) => ({
            question_id: chosen[i],
            answer: v[`security_questions[${i}].answer`],
          })),
        },
      });
      const { username } = pending;
      pending = null;
      await twoStep.proceed(answer, username, { go, signedIn }, "Your new password and security questions are saved.");
    },
    onError: (error) => {
      // The sign-in challenge lasts a few minutes; after that only a new sign-in helps.
      if (error.status === 401) {
        pending = null;
        go("/sign-in", "Your sign-in with the temporary password has timed out. Please sign in with it again.");
        return true;
      }
      return false;
    },
  });
  page(
    "Choose your password",
    h("p", { class: "lead" }, "Welcome to the portal. Choose a new password and three security questions. If you forget your password, we will ask you one of them."),
    h("div", { class: "card" }, f.el),
  );
}
