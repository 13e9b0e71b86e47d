// Help: the hospital FAQ's questions, answered for this portal, and the participating
// clinics (from the API, so the list is the one the portal uses).

import { clinics } from "../api.js";
import { alertBox, h, link, page } from "../ui.js";

function qa(question, ...answer) {
  return [h("dt", {}, question), h("dd", {}, ...answer)];
}

export async function show() {
  const clinicSection = h("section", { "aria-labelledby": "clinics-h" }, h("h2", { id: "clinics-h" }, "Participating clinics"));
  page(
    "Help",
    h("p", { class: "lead" }, "Answers to common questions about the Patient Portal."),
    h("section", { "aria-labelledby": "start-h" },
      h("h2", { id: "start-h" }, "How do I get started?"),
      h("ol", {},
        h("li", {}, "Ask your Tufts Children's Hospital doctor's office for a patient portal account."),
        h("li", {}, "The office gives you a username and a temporary password, sent to the email address you provide."),
        h("li", {}, "Sign in to the portal, change your password and create your security questions."))),
    h("section", { "aria-labelledby": "login-h" },
      h("h2", { id: "login-h" }, "What should I do if I have login issues?"),
      h("dl", { class: "faq" },
        qa("I did not receive an email with my username and password.",
          "Please allow up to 24 hours for the email to arrive, and check your spam folder. If it has been more than 24 hours, tell your provider's office: they can send the login information again."),
        qa("How do I obtain a username and password?", "Contact your provider's office to set up a Patient Portal account."),
        qa("I can't sign in.",
          'Please check that your username is correct. You can find it in the email with the subject "Portal login information". Check that you are typing your password correctly. If you still have trouble, click ',
          link("/forgot-password", "Forgot Password?"), ". You must know your username; you will receive an email with a link to reset the password."),
        qa("The temporary password does not work.", "A temporary password works for 3 days. Ask your provider's office to send new login information."),
        qa("How do I change my username?", "The username is assigned by your provider's office. Please ask your provider's office to change your username at your next visit."),
        qa("How do I change my password?", "Please sign in, and under ", link("/account", "My Account"), ' there is an option to "reset password."'),
        qa("I forgot my password.", 'Please click "Forgot Password?" at the top of the ', link("/sign-in", "sign in"), " page."),
        qa("What is two-step sign-in?",
          "Besides your password, each sign-in asks for a 6-digit code from an authenticator app on your phone, so that a password alone does not open your child's record. Families may turn it on under ",
          link("/account", "My Account"), "; clinic staff must use it. Lost your phone? Ask your provider's office to reset it."),
        qa("Why was I signed out?", "For your child's privacy, the portal signs you out after 15 minutes without activity. It warns you first."))),
    h("section", { "aria-labelledby": "browsers-h" },
      h("h2", { id: "browsers-h" }, "What browsers are supported?"),
      h("p", {}, "The current versions of Chrome, Edge, Firefox and Safari, on computers, tablets and phones. Internet Explorer is not supported.")),
    h("section", { "aria-labelledby": "contact-h" },
      h("h2", { id: "contact-h" }, "What should I do if I can't find the answer to my question?"),
      h("p", {}, "Contact your provider's office: the clinic where your child is seen. Please contact your office directly by phone today if you are having problems or need to be seen.")),
    clinicSection,
  );
  try {
    const list = await clinics();
    clinicSection.append(
      h("p", {}, "The Outpatient Specialty Portal is available for these clinics:"),
      h("ul", { class: "clinic-list" }, list.map((c) => h("li", {}, c.name))),
    );
  } catch (error) {
    clinicSection.append(alertBox(error.message));
  }
}
