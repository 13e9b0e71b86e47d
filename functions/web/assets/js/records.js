// The parts of a patient's record that the family's pages and the office's "Find a patient"
// share: the Pt Demographics form, phone rows, emergency contacts and pharmacy as text, the
// "someone else changed it" answer to a stale save, and the log of who viewed or changed
// the record.

import { api } from "./api.js";
import { alertBox, facts, form, h, notice, pagedTable } from "./ui.js";
import { ACTIONS, OUTCOMES, PHONE_KINDS, WHO, options, stateOptions } from "./words.js";

export function patientPath(id, what) {
  return `/api/patients/${encodeURIComponent(id)}/${what}`;
}

/** What a stale save gets: a plain sentence and a way to see the record as it is now. */
export function conflictAlert(reload) {
  return h("div", { class: "alert", role: "alert" },
    h("p", {}, "Someone else changed this record after you opened it, so your changes were not saved. Reload it to see the record as it is now, then make your changes again."),
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: reload }, "Reload the record")));
}

/** Shows `el` (a notice or an alert) in `status` and moves focus to it, so that it is read
 * out and a keyboard user continues from there. */
export function say(status, el) {
  el.setAttribute("tabindex", "-1");
  status.replaceChildren(el);
  el.focus();
}

// ---- phones

/** The rows of a form's phone group: a type and a number each, with remove and add buttons
 * while the list may shrink or grow. */
export function phoneRows(prefix, phones, { min, max, onAdd, onRemove }) {
  const rows = phones.map((p, i) => ({
    fields: [
      { name: `${prefix}[${i}].kind`, label: `Phone ${i + 1} type`, term: `the type of phone ${i + 1}`, options: options(PHONE_KINDS), value: p.kind },
      { name: `${prefix}[${i}].number`, label: `Phone ${i + 1} number`, type: "tel", value: p.number },
    ],
    extra: phones.length > min ? h("button", { type: "button", class: "row-action", onclick: () => onRemove(i) }, `Remove phone ${i + 1}`) : null,
  }));
  const add = phones.length < max
    ? h("button", { type: "button", class: "add-row", onclick: onAdd }, phones.length ? "Add another phone" : "Add a phone")
    : h("p", { class: "hint" }, `That is the most phone numbers: ${max}.`);
  return { fields: rows, extra: add };
}

function phonesFrom(values, prefix, count) {
  return Array.from({ length: count }, (_, i) => ({
    kind: values[`${prefix}[${i}].kind`],
    number: values[`${prefix}[${i}].number`].trim(),
  }));
}

/** A form whose phone rows can be added and removed: `build(draft)` gives the form's
 * { el, values } for a draft, `read(values, draft)` the draft from what is entered;
 * `phones(draft)` is the draft's list. Adding or removing a row keeps what is entered and
 * moves focus to the row's first field (or the add button). */
export function withPhoneRows(box, { build, read, phones, prefix }) {
  let draft;
  let current;
  const focus = (selector) => box.querySelector(selector)?.focus();
  const show = (next) => {
    draft = next;
    current = build(draft, {
      onAdd: () => {
        const more = read(current.values(), draft);
        phones(more).push({ kind: "mobile", number: "" });
        show(more);
        focus(`[name="${prefix}[${phones(more).length - 1}].kind"]`);
      },
      onRemove: (i) => {
        const kept = read(current.values(), draft);
        phones(kept).splice(i, 1);
        show(kept);
        focus(i < phones(kept).length ? `[name="${prefix}[${i}].kind"]` : ".add-row");
      },
    });
    box.replaceChildren(current.el);
  };
  return show;
}

// ---- Pt Demographics

/**
 * The Pt Demographics form of one patient, saved with its version. Families see the name and
 * date of birth as text (only the office changes them); `staff` edits them too.
 * `onChange(record)` runs after a save, and after a reload of a record someone else changed.
 */
export function demographicsEditor(record, { staff = false, onChange = () => {} } = {}) {
  const status = h("div", { role: "status" });
  const who = h("div");
  const box = h("div");
  let saved = record;

  const toDraft = (r) => ({
    given_name: r.given_name,
    family_name: r.family_name,
    birth_date: r.birth_date,
    address: { line1: "", line2: "", city: "", state: "", postal_code: "", ...(r.address ?? {}) },
    phones: r.phones.map((p) => ({ ...p })),
    email: r.email ?? "",
  });

  const read = (v, draft) => ({
    given_name: staff ? v.given_name.trim() : draft.given_name,
    family_name: staff ? v.family_name.trim() : draft.family_name,
    birth_date: staff ? v.birth_date : draft.birth_date,
    address: {
      line1: v["address.line1"].trim(),
      line2: v["address.line2"].trim(),
      city: v["address.city"].trim(),
      state: v["address.state"],
      postal_code: v["address.postal_code"].trim(),
    },
    phones: phonesFrom(v, "phones", draft.phones.length),
    email: v.email.trim(),
  });

  const showNames = (r) => {
    if (staff) return;
    who.replaceChildren(h("div", { class: "card" },
      facts([["Name", `${r.given_name} ${r.family_name}`], ["Date of birth", r.birth_date]]),
      h("p", { class: "hint" }, "To correct the name or date of birth, please ask your provider's office.")));
  };

  const reload = async () => {
    try {
      saved = await api("GET", patientPath(saved.id, "demographics"));
      showNames(saved);
      show(toDraft(saved));
      say(status, notice("This is the record as it is now."));
      onChange(saved);
    } catch (error) {
      say(status, alertBox(error.message));
    }
  };

  const build = (draft, rows) => {
    const nameFields = staff ? [{ group: "Patient", fields: [
      { name: "given_name", label: "First name", value: draft.given_name },
      { name: "family_name", label: "Last name", value: draft.family_name },
      { name: "birth_date", label: "Date of birth", type: "date", value: draft.birth_date },
    ] }] : [];
    // The office may correct a new patient's name before anyone has entered an address;
    // families are asked for one.
    const addressRequired = !staff || saved.address !== null;
    const f = form({
      fields: [
        ...nameFields,
        { group: "Address", fields: [
          { name: "address.line1", label: "Street address", autocomplete: "off", required: addressRequired, value: draft.address.line1 },
          { name: "address.line2", label: "Apartment, suite or unit", required: false, value: draft.address.line2 },
          { name: "address.city", label: "City or town", required: addressRequired, value: draft.address.city },
          { name: "address.state", label: "State", options: stateOptions(), required: addressRequired, value: draft.address.state },
          { name: "address.postal_code", label: "ZIP code", hint: "5 digits, or ZIP+4 such as 02111-1526.", required: addressRequired, value: draft.address.postal_code },
        ] },
        { group: "Phone numbers", ...phoneRows("phones", draft.phones, { min: 0, max: 5, ...rows }) },
        { name: "email", label: "Email address", type: "email", required: false, value: draft.email },
      ],
      submit: "Save",
      onSubmit: async (v) => {
        status.replaceChildren();
        const d = read(v, draft);
        let address = { line1: d.address.line1, city: d.address.city, state: d.address.state, postal_code: d.address.postal_code };
        if (d.address.line2) address.line2 = d.address.line2;
        if (!addressRequired && !Object.values(d.address).some(Boolean)) address = null;
        const body = { id: saved.id, given_name: d.given_name, family_name: d.family_name, birth_date: d.birth_date, address, phones: d.phones, email: d.email || null, version: saved.version };
        saved = await api("PUT", patientPath(saved.id, "demographics"), { body });
        showNames(saved);
        show(toDraft(saved));
        say(status, notice("Pt Demographics saved."));
        onChange(saved);
      },
      onError: (error) => {
        if (error.status !== 409) return false;
        say(status, conflictAlert(reload));
        return true;
      },
    });
    return f;
  };

  const show = withPhoneRows(box, { build, read, phones: (d) => d.phones, prefix: "phones" });
  showNames(saved);
  show(toDraft(saved));
  return h("div", {}, who, status, h("div", { class: "card" }, box));
}

// ---- Additional information

function phoneText(p) {
  return `${PHONE_KINDS[p.kind] ?? p.kind}: ${p.number}`;
}

/** One emergency contact as text; `actions` (buttons) after it. */
export function contactItem(c, actions = null) {
  return h("li", { class: "contact" },
    h("p", { class: "contact-name" }, h("strong", {}, c.name), ` (${c.relationship})`),
    h("ul", { class: "phones" }, c.phones.map((p) => h("li", {}, phoneText(p)))),
    actions);
}

export function pharmacyFacts(p) {
  return facts([["Pharmacy", p.name], ["Address", p.address], ["Phone", p.phone]]);
}

/** Additional information as text, for the office. */
export function additionalInfoView(info) {
  return h("div", {},
    h("h3", {}, "Emergency contacts"),
    info.emergency_contacts.length
      ? h("ul", { class: "contacts" }, info.emergency_contacts.map((c) => contactItem(c)))
      : h("p", {}, "No emergency contacts entered."),
    h("h3", {}, "Preferred pharmacy"),
    info.pharmacy ? pharmacyFacts(info.pharmacy) : h("p", {}, "No pharmacy entered."));
}

// ---- who viewed or changed the record

export function when(at) {
  // The API gives microseconds; Date takes milliseconds.
  const date = new Date(at.replace(/(\.\d{3})\d+/, "$1"));
  if (Number.isNaN(date.getTime())) return at;
  return h("time", { datetime: at },
    h("span", { class: "nowrap" }, date.toLocaleDateString("en-US", { dateStyle: "medium" })), " ",
    h("span", { class: "nowrap" }, date.toLocaleTimeString("en-US", { timeStyle: "medium" })));
}

/** A FHIR dateTime as people read it: "2024", "March 2024", "Mar 14, 2024", or an instant
 * in this browser's time zone ("Mar 14, 2024, 9:30 AM"; `time: false` for its date only).
 * A bare date is a calendar day, not midnight UTC, so it is never shifted a day. */
export function fhirWhenText(text, { time = true } = {}) {
  if (/^\d{4}$/.test(text)) return text;
  if (/^\d{4}-\d{2}(-\d{2})?$/.test(text)) {
    const [y, m, d] = text.split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d ?? 1));
    const style = d ? { dateStyle: "medium" } : { month: "long", year: "numeric" };
    return day.toLocaleDateString("en-US", { ...style, timeZone: "UTC" });
  }
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) return text;
  const date = at.toLocaleDateString("en-US", { dateStyle: "medium" });
  return time ? `${date}, ${at.toLocaleTimeString("en-US", { timeStyle: "short" })}` : date;
}

/** The same as a <time> element. */
export function fhirWhen(text, options) {
  return h("time", { datetime: text, class: "nowrap" }, fhirWhenText(text, options));
}

// Staff by name and clinic; the office also sees which account it was.
function whoText(who) {
  const role = WHO[who.kind] ?? who.kind;
  let text = role;
  if (who.kind === "staff") text = [who.name ?? role, who.clinic ?? null].filter(Boolean).join(", ");
  else if (who.kind === "admin" && who.name) text = `${who.name}, ${role.toLowerCase()}`;
  return who.username && who.kind !== "you" ? `${text} (${who.username})` : text;
}

/**
 * The log of who viewed or changed a record (`path`: the access log or the audit), newest
 * first, 25 at a time with "Show more". Resolves once the first page is shown; throws when
 * it cannot be had.
 */
export async function activityLog(path, caption) {
  const next = (cursor) => {
    const query = new URLSearchParams({ limit: "25" });
    if (cursor) query.set("cursor", cursor);
    return api("GET", `${path}?${query}`);
  };
  const row = (item) => h("tr", {},
    h("td", {}, when(item.at)),
    h("td", {}, whoText(item.who)),
    h("td", {}, ACTIONS[item.action] ?? item.action),
    h("td", {}, OUTCOMES[item.outcome] ?? item.outcome));
  const log = await pagedTable(caption, ["When", "Who", "What", "Outcome"], { next, row, noun: "entries" });
  return log.count === 0 ? h("p", {}, "No one has viewed or changed this record yet.") : log.el;
}
