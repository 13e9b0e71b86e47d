// Sign in, with "Forgot Password?" at the top as the FAQ says. A temporary password leads
// on to the first sign-in; two-step sign-in to its code (or, for staff, to setting it up).

import { api } from "../api.js";
import { form, h, link, notice, page } from "../ui.js";
import * as firstSignIn from "./first-sign-in.js";
import * as twoStep from "./two-step.js";

export function show({ go, flash, signedIn }) {
  const f = form({
    fields: [
      { name: "username", label: "Username", autocomplete: "username", hint: 'Your username is in the email with the subject "Portal login information".' },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password" },
    ],
    submit: "Sign in",
    onSubmit: async ({ username, password }) => {
      const answer = await api("POST", "/api/auth/login", { body: { username: username.trim(), password } });
      if (answer.challenge === "NEW_PASSWORD_REQUIRED") {
        firstSignIn.expect(username.trim(), answer.session);
        go("/first-sign-in");
      } else {
        await twoStep.proceed(answer, username.trim(), { go, signedIn });
      }
    },
  });
  page(
    "Sign in",
    h("p", { class: "top-link" }, link("/forgot-password", "Forgot Password?")),
    flash ? notice(flash) : null,
    h("div", { class: "card" }, f.el),
    h("p", {}, "New to the portal? Ask your child's doctor's office for an account. ", link("/help", "Help with signing in")),
  );
}
