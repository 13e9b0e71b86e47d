// Two-step sign-in, the step after the password: setting it up (staff and admins must; the
// key as a QR code and as text) or entering the code the authenticator app shows. The
// sign-in challenge is kept in memory only, for this page. `keyCard` also serves "My
// Account", where a family turns it on.

import { api } from "../api.js";
import { form, h, link, notice, page } from "../ui.js";

let pending = null;

/** Where a sign-in answer leads: a challenge's page, or signed in. */
export async function proceed(answer, username, { go, signedIn }, message) {
  if (answer.challenge === "MFA_SETUP" || answer.challenge === "SOFTWARE_TOKEN_MFA") {
    pending = { username, challenge: answer.challenge, session: answer.session, message };
    go("/two-step");
  } else {
    await signedIn(answer, message);
  }
}

/** The SVG the server drew, as an element: parsed, never run (the page's policy allows no
 * inline script anyway). */
function qrImage(svg) {
  const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  const img = document.importNode(parsed, true);
  img.setAttribute("role", "img");
  img.setAttribute("aria-label", "QR code of your two-step sign-in key");
  img.setAttribute("class", "qr");
  return img;
}

/** The new key, to scan or to type, and the steps around it. */
export function keyCard(key) {
  // Groups of four, as apps show keys: easier to type. Spaces are ignored by the apps.
  const grouped = key.secret.match(/.{1,4}/g).join(" ");
  return h("div", { class: "two-step-key" },
    h("ol", {},
      h("li", {}, "Install an authenticator app on your phone, if you have none: for example Google Authenticator, Microsoft Authenticator or 1Password."),
      h("li", {}, "In the app, add an account and scan this QR code.",
        h("figure", {}, qrImage(key.qr_svg),
          h("figcaption", {}, "Cannot scan it? Choose to enter a key instead, and type this key (time-based):"),
          h("p", {}, h("code", { class: "totp-key", "aria-label": "Key" }, grouped)))),
      h("li", {}, "Enter the 6-digit code the app now shows for the portal.")));
}

export const CODE_FIELD = {
  name: "code",
  label: "6-digit code",
  autocomplete: "one-time-code",
  inputmode: "numeric",
  hint: "The code changes every 30 seconds. Enter the one the app shows now.",
};

function timedOut(go) {
  pending = null;
  go("/sign-in", "Your sign-in has timed out, or the code was not accepted too many times. Please sign in again.");
}

export async function show({ go, signedIn }) {
  if (!pending) {
    page(
      "Two-step sign-in",
      h("p", {}, "Sign in with your username and password first."),
      h("p", {}, link("/sign-in", "Go to sign in")),
    );
    return;
  }
  const { session, challenge, message } = pending;
  const onError = (error) => {
    // A wrong code is answered as a wrong password is (401), and so is a sign-in that timed
    // out: the code field says both.
    if (error.status === 401) {
      error.field = "code";
      error.message = "This code was not accepted. Enter the code the app shows now; check that your phone sets its clock automatically. If it still fails, sign in again.";
    }
    return false;
  };
  const finish = async (path, v) => {
    const answer = await api("POST", path, { body: { session, code: v.code } });
    pending = null;
    await signedIn(answer, message);
  };
  if (challenge === "SOFTWARE_TOKEN_MFA") {
    const f = form({ fields: [CODE_FIELD], submit: "Sign in", onSubmit: (v) => finish("/api/auth/mfa", v), onError });
    page(
      "Enter your code",
      h("p", { class: "lead" }, "Open the authenticator app on your phone and enter the code it shows for the portal."),
      h("div", { class: "card" }, f.el),
      h("p", {}, "Lost your phone? Ask an admin or your provider's office to reset your two-step sign-in. ", link("/sign-in", "Sign in again")),
    );
    return;
  }
  let key;
  try {
    key = await api("POST", "/api/auth/mfa-setup", { body: { session } });
  } catch (error) {
    if (error.status === 401) return timedOut(go);
    throw error;
  }
  const f = form({ fields: [CODE_FIELD], submit: "Turn on and sign in", onSubmit: (v) => finish("/api/auth/mfa-verify", v), onError });
  page(
    "Set up two-step sign-in",
    message ? notice(message) : null,
    h("p", { class: "lead" }, "Staff and admins see many patients' records, so they sign in with their password and a code from an app on their phone. Set it up once now; from then on each sign-in asks for the code."),
    h("div", { class: "card" }, keyCard(key), f.el),
  );
}
