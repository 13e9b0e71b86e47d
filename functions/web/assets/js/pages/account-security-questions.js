// "My Account" > "Security questions": which three questions are set (never the answers),
// and choosing new ones; the current password is required.

import { api } from "../api.js";
import { fieldError, form, h, link, loadedFor, notice, page } from "../ui.js";

const TITLE = "Security questions";
const ORDINAL = ["First", "Second", "Third"];

export async function show({ go, flash }) {
  const both = await loadedFor(TITLE, Promise.all([api("GET", "/api/account/security-questions"), api("GET", "/api/auth/security-questions")]));
  if (!both) return;
  const [set] = both;
  const options = both[1].map((q) => ({ value: q.id, label: q.text }));

  const f = form({
    fields: [
      ...[0, 1, 2].flatMap((i) => [
        { name: `security_questions[${i}].question_id`, label: `${ORDINAL[i]} security question`, options, value: set[i]?.question_id },
        { name: `security_questions[${i}].answer`, label: `Answer to the ${ORDINAL[i].toLowerCase()} question`, autocomplete: "off" },
      ]),
      { name: "current_password", label: "Current password", type: "password", autocomplete: "current-password" },
    ],
    submit: "Save security questions",
    onSubmit: async (v) => {
      const chosen = [0, 1, 2].map((i) => v[`security_questions[${i}].question_id`]);
      chosen.forEach((id, i) => {
        if (chosen.indexOf(id) !== i) throw fieldError(`security_questions[${i}].question_id`, "Choose three different questions.");
      });
      await api("PUT", "/api/account/security-questions", {
        body: {
          security_questions: chosen.map((id, i) => ({ question_id: id, answer: v[`security_questions[${i}].answer`] })),
          current_password: v.current_password,
        },
      });
      // Shown anew, so that no answer or password stays in the page.
      go("/account/security-questions", "Your security questions have been changed. If you forget your password, we will ask you one of them.", { replace: true });
    },
  });

  page(
    TITLE,
    h("p", { class: "lead" }, "If you forget your password, we ask you one of these questions. Your answers are never shown."),
    flash ? notice(flash) : null,
    h("section", { class: "card", "aria-labelledby": "set-h" },
      h("h2", { id: "set-h" }, "Your questions"),
      h("ol", {}, set.map((q) => h("li", {}, q.text)))),
    h("section", { class: "card", "aria-labelledby": "change-h" },
      h("h2", { id: "change-h" }, "Change your security questions"),
      h("p", {}, "Choose three different questions and answer each. Answers are not case-sensitive."),
      f.el),
    h("p", {}, link("/account", "Back to My Account")),
  );
}
