// Building pages: elements, the page frame, and forms whose errors are plain sentences
// shown next to their field and announced to screen readers. Text always goes in as text
// (never as HTML), so nothing the API returns can become markup.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const SITE = "Patient Portal - Tufts Children's Hospital";

/** Shows a page: its title, and its heading focused so that screen readers announce it. */
export function page(title, ...content) {
  document.title = `${title} - ${SITE}`;
  const heading = h("h1", { tabindex: "-1" }, title);
  document.getElementById("main").replaceChildren(heading, ...content.filter((c) => c !== null && c !== undefined));
  heading.focus();
}

/** What `promise` brings, or null after showing the page `title` with why it failed. */
export async function loadedFor(title, promise, ...more) {
  try {
    return await promise;
  } catch (error) {
    page(title, alertBox(error.message), ...more);
    return null;
  }
}

export function link(href, text, props = {}) {
  return h("a", { href, ...props }, text);
}

/** An error for the whole page or section, read out by screen readers when it appears. */
export function alertBox(text = "") {
  return h("div", { class: "alert", role: "alert" }, text);
}

/** A confirmation, read out by screen readers when it appears. */
export function notice(text) {
  return h("div", { class: "notice", role: "status" }, text);
}

export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** An error the page found itself, tied to a field like the API's. */
export function fieldError(field, sentence) {
  return Object.assign(new Error(sentence), { field });
}

export const PASSWORD_RULES = [
  "At least 12 characters.",
  "Hard to guess: a few unrelated words work well.",
  "Not your username or email address.",
];

// Forms made so far: each form's ids carry its number, so two forms on one page may name a
// field alike (My Account's "Current password" in two cards) without a duplicate id.
let forms = 0;

function idFor(name, formNumber) {
  return `f${formNumber}-` + name.replace(/[^A-Za-z0-9_-]+/g, "-");
}

/**
 * A form of labelled fields; { group, fields } puts fields in a fieldset, { fields } without
 * a group side by side in a row, and either may end with `extra` elements (e.g. a button
 * that adds or removes a row). A field is { name, label, term (the label in a sentence),
 * type ("radios" and "checkboxes" take `options`; "textarea" takes `maxlength`, shown as a
 * counter, and `rows`; a text field takes `maxlength` too; `single` lists the options in one
 * column), autocomplete, hint, rules, min and max (a date's or number's),
 * options: [{ value, label }], required (default true), value }; `name` is the API's field
 * name (`address.city`, `phones[0].number`), so the API's problems land on the right field.
 * `onSubmit(values)` may throw; what it throws is shown, unless `onError(error)` takes it
 * (returns true). Returns { el, values }: the form element, and a function giving what is
 * entered now.
 */
export function form({ fields, submit, onSubmit, onError }) {
  const number = ++forms;
  const alert = alertBox();
  const button = h("button", { type: "submit", class: "primary" }, submit);
  const controls = new Map();
  const build = (f) => {
    if (f.fields) {
      const inner = [...f.fields.map(build), f.extra ?? null];
      return f.group ? h("fieldset", {}, h("legend", {}, f.group), inner) : h("div", { class: "field-row" }, inner);
    }
    const row = field(f, number);
    controls.set(f.name, { ...f, ...row });
    return row.el;
  };
  const rows = fields.map(build);
  const el = h("form", { novalidate: true }, alert, rows, h("div", { class: "actions" }, button));

  function values() {
    const out = {};
    for (const [name, c] of controls) {
      if (c.type === "checkboxes") out[name] = c.inputs.filter((i) => i.checked).map((i) => i.value);
      else if (c.type === "radios") out[name] = c.inputs.find((i) => i.checked)?.value ?? "";
      else out[name] = c.input.value;
    }
    return out;
  }

  function clear() {
    alert.replaceChildren();
    for (const c of controls.values()) {
      c.error.textContent = "";
      c.target.removeAttribute("aria-invalid");
    }
  }

  function show(error) {
    const c = error.field ? controls.get(error.field) : undefined;
    // The API names a field by its JSON name; people know it by its label. A sentence that
    // starts with the name ("phone must be a phone number ...") has only that one replaced.
    const fromApi = error.status !== undefined;
    const words = c ? c.term ?? c.label : "";
    const named = (m) => (m.startsWith(`${error.field} `) ? words + m.slice(error.field.length) : m.split(error.field).join(words));
    const sentence = c && fromApi ? asSentence(named(error.message)) : error.message;
    alert.textContent = sentence;
    if (c) {
      c.error.textContent = sentence;
      c.target.setAttribute("aria-invalid", "true");
      (c.inputs?.[0] ?? c.input).focus();
    } else {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
  }

  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clear();
    const v = values();
    for (const [name, c] of controls) {
      const empty = Array.isArray(v[name]) ? v[name].length === 0 : v[name].trim() === "";
      if (c.required !== false && empty) {
        const what = inSentence(c.term ?? c.label);
        show(fieldError(name, c.options ? `Choose ${what}.` : `Enter ${what}.`));
        return;
      }
    }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await onSubmit(v);
    } catch (error) {
      if (!onError?.(error)) show(error);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });

  return { el, values };
}

/** A label inside a sentence: "Street address" -> "street address", "ZIP code" stays. */
function inSentence(label) {
  return /^\p{Lu}{2}/u.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

function asSentence(text) {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function field(f, formNumber) {
  const id = idFor(f.name, formNumber);
  const error = h("p", { class: "field-error", id: `${id}-error` });
  const hint = f.hint ? h("p", { class: "hint", id: `${id}-hint` }, f.hint) : null;
  const rules = f.rules ? h("ul", { class: "rules", id: `${id}-rules` }, f.rules.map((r) => h("li", {}, r))) : null;
  const describedBy = [hint && `${id}-hint`, rules && `${id}-rules`, `${id}-error`].filter(Boolean).join(" ");
  if (f.type === "checkboxes" || f.type === "radios") {
    const inputs = f.options.map((o, i) => f.type === "radios"
      ? h("input", { type: "radio", id: `${id}-${i}`, name: f.name, value: o.value, checked: o.value === f.value })
      : h("input", { type: "checkbox", id: `${id}-${i}`, value: o.value, checked: o.checked }));
    const list = h("ul", { class: f.single ? "checks single" : "checks" }, f.options.map((o, i) => h("li", {}, inputs[i], h("label", { for: `${id}-${i}` }, o.label))));
    const target = h("fieldset", { "aria-describedby": describedBy }, h("legend", {}, f.label), hint, list, error);
    return { el: h("div", { class: "field" }, target), inputs, error, target };
  }
  let input;
  let counter = null;
  if (f.type === "textarea") {
    // A counter of what is left, read with the field (not announced on every key).
    counter = f.maxlength ? h("p", { class: "hint counter", id: `${id}-count` }) : null;
    const by = [describedBy, counter && `${id}-count`].filter(Boolean).join(" ");
    input = h("textarea", { id, name: f.name, rows: f.rows ?? 5, maxlength: f.maxlength, "aria-describedby": by, required: f.required !== false });
    input.value = f.value ?? "";
    if (counter) {
      const count = () => {
        counter.textContent = `${input.value.length} of ${f.maxlength.toLocaleString("en-US")} characters`;
      };
      input.addEventListener("input", count);
      count();
    }
  } else if (f.options) {
    input = h("select", { id, name: f.name, "aria-describedby": describedBy, required: f.required !== false },
      h("option", { value: "" }, f.placeholder ?? "Choose one"),
      f.options.map((o) => h("option", { value: o.value, selected: o.value === f.value }, o.label)));
  } else {
    input = h("input", {
      id,
      name: f.name,
      type: f.type ?? "text",
      autocomplete: f.autocomplete ?? "off",
      inputmode: f.inputmode,
      spellcheck: f.type === "password" ? "false" : undefined,
      autocapitalize: f.type === "password" || f.autocomplete === "username" ? "none" : undefined,
      "aria-describedby": describedBy,
      required: f.required !== false,
      value: f.value,
      min: f.min,
      max: f.max,
      maxlength: f.maxlength,
    });
  }
  const label = h("label", { for: id }, f.label, f.required === false ? " (optional)" : "");
  return { el: h("div", { class: "field" }, label, hint, rules, input, counter, error), input, error, target: input };
}

/** Asks before something that cannot be undone: a modal dialog with `text`, the button
 * `yes` and `no` ("Cancel", or words that cannot be mistaken for `yes` where `yes` itself
 * cancels something). Resolves to true when `yes` is chosen; Escape says no. */
export function confirmDialog(text, yes, no = "Cancel") {
  return new Promise((resolve) => {
    const id = `confirm-${crypto.randomUUID()}`;
    const cancel = h("button", { type: "button" }, no);
    const ok = h("button", { type: "button", class: "danger" }, yes);
    const dialog = h("dialog", { "aria-labelledby": id },
      h("p", { id, class: "dialog-text" }, text),
      h("div", { class: "actions" }, ok, cancel));
    const opener = document.activeElement;
    const answer = (value) => {
      dialog.close();
      dialog.remove();
      opener?.focus?.();
      resolve(value);
    };
    ok.addEventListener("click", () => answer(true));
    cancel.addEventListener("click", () => answer(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      answer(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A table with a caption, its rows appended later (e.g. "Show more"); wrapped so that a
 * narrow screen scrolls the table, not the page. Returns { el, body }. */
export function table(caption, headings) {
  const id = `t-${crypto.randomUUID()}`;
  const body = h("tbody");
  const el = h("div", { class: "table-wrap", role: "region", "aria-labelledby": id, tabindex: "0" },
    h("table", {},
      h("caption", { id }, caption),
      h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
      body));
  return { el, body };
}

/**
 * A table of a paged list with "Show more" (or `moreLabel`, "More results") under it.
 * `next(cursor)` fetches a page (`{ items, cursor }`), `row(item)` draws one; `noun` names
 * the items for the status line ("Showing 30 entries."). Resolves once the first page
 * (`first`, or fetched) is shown, with `{ el, count }`.
 */
export async function pagedTable(caption, headings, { next, row, noun, first = null, moreLabel = "Show more" }) {
  const t = table(caption, headings);
  const more = h("button", { type: "button" }, moreLabel);
  const status = h("div", { role: "status" });
  let cursor = null;
  let count = 0;
  const show = (page) => {
    t.body.append(...page.items.map(row));
    count += page.items.length;
    cursor = page.cursor ?? null;
    more.hidden = cursor === null;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      show(await next(cursor));
      status.replaceChildren(`Showing ${count} ${noun}.`);
      if (more.hidden) t.el.focus();
    } catch (error) {
      status.replaceChildren(alertBox(error.message));
    } finally {
      more.disabled = false;
    }
  });
  show(first ?? await next(null));
  return { el: h("div", {}, t.el, status, h("div", { class: "actions" }, more)), count };
}

/** A list of a paged answer with "More …" under it: `item(entry, n)` draws the n-th entry
 * as an <li>. Returns { el, count } with the first page shown. */
export function pagedList({ first, next, item, noun, moreLabel, listClass }) {
  const list = h("ul", { class: listClass });
  const status = h("div", { role: "status" });
  const more = h("button", { type: "button" }, moreLabel);
  let count = 0;
  let cursor = null;
  const add = (page) => {
    for (const entry of page.items) list.append(item(entry, count++));
    cursor = page.cursor ?? null;
    more.hidden = cursor === null;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      add(await next(cursor));
      status.replaceChildren(`Showing ${count} ${noun}.`);
    } catch (error) {
      status.replaceChildren(alertBox(error.message));
    } finally {
      more.disabled = false;
    }
  });
  add(first);
  return { el: h("div", {}, list, status, h("div", { class: "actions" }, more)), count };
}
