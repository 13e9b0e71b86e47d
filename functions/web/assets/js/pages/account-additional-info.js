// "My Account" > "Additional information": the child's emergency contacts (add, edit,
// remove) and preferred pharmacy. Every change is saved at once, with the record's version,
// so a change someone else made meanwhile is never overwritten.

import { api } from "../api.js";
import { familyPatient, loadedRecord, possessive, whose } from "../patient.js";
import { conflictAlert, contactItem, patientPath, pharmacyFacts, phoneRows, say, withPhoneRows } from "../records.js";
import { alertBox, confirmDialog, form, h, link, notice, page } from "../ui.js";

const TITLE = "Additional information";
const MAX_CONTACTS = 10;

export async function show() {
  const patient = familyPatient(TITLE, show);
  if (!patient) return;
  const path = patientPath(patient.id, "additional-info");
  let info = await loadedRecord(TITLE, patient.given_name, api("GET", path));
  if (!info) return;

  const status = h("div", { role: "status" });
  const contacts = h("div");
  const pharmacy = h("div");

  // One save of the whole record; then `part` is shown anew and `what` is said. (The other
  // part keeps what is being typed in it: its save sends the version of the moment.)
  const save = async (changes, part, what) => {
    status.replaceChildren();
    info = await api("PUT", path, {
      body: { emergency_contacts: info.emergency_contacts, pharmacy: info.pharmacy, ...changes, version: info.version },
    });
    part();
    say(status, notice(what));
  };
  const reload = async () => {
    try {
      info = await api("GET", path);
      render();
      say(status, notice("This is the record as it is now."));
    } catch (error) {
      say(status, alertBox(error.message));
    }
  };
  const conflict = (error) => {
    if (error.status !== 409) return false;
    render();
    say(status, conflictAlert(reload));
    return true;
  };

  function render() {
    renderContacts();
    renderPharmacy();
  }

  function renderContacts() {
    const list = info.emergency_contacts;
    const button = (label, name, onclick, cls) =>
      h("button", { type: "button", class: cls, onclick }, label, h("span", { class: "visually-hidden" }, ` ${name}`));
    const items = list.map((c, i) => contactItem(c, h("div", { class: "actions" },
      button("Edit", c.name, () => editContact(i)),
      button("Remove", c.name, () => removeContact(i), "danger"))));
    contacts.replaceChildren(
      list.length ? h("ul", { class: "contacts" }, items) : h("p", {}, "No emergency contacts yet."),
      list.length < MAX_CONTACTS
        ? h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => editContact(list.length) }, "Add an emergency contact"))
        : h("p", { class: "hint" }, `That is the most emergency contacts: ${MAX_CONTACTS}. Remove one to add another.`),
    );
  }

  // The contact at `index` (a new one when index is past the end) in a form of its own.
  function editContact(index) {
    const adding = index >= info.emergency_contacts.length;
    const start = adding ? { name: "", relationship: "", phones: [{ kind: "mobile", number: "" }] } : info.emergency_contacts[index];
    const prefix = `emergency_contacts[${index}]`;
    const box = h("div");
    const read = (v, draft) => ({
      name: v[`${prefix}.name`].trim(),
      relationship: v[`${prefix}.relationship`].trim(),
      phones: draft.phones.map((_, j) => ({ kind: v[`${prefix}.phones[${j}].kind`], number: v[`${prefix}.phones[${j}].number`].trim() })),
    });
    const build = (draft, rows) => {
      const f = form({
        fields: [
          { name: `${prefix}.name`, label: "Name", hint: "First and last name.", value: draft.name },
          { name: `${prefix}.relationship`, label: "Relationship to the patient", hint: "For example: grandmother, neighbor, aunt.", value: draft.relationship },
          { group: "Phone numbers", ...phoneRows(`${prefix}.phones`, draft.phones, { min: 1, max: 3, ...rows }) },
        ],
        submit: "Save contact",
        onSubmit: async (v) => {
          const contact = read(v, draft);
          const next = [...info.emergency_contacts];
          next.splice(index, adding ? 0 : 1, contact);
          await save({ emergency_contacts: next }, renderContacts, adding ? `${contact.name} was added to the emergency contacts.` : `The emergency contact ${contact.name} was saved.`);
        },
        onError: conflict,
      });
      f.el.querySelector(".actions").append(h("button", { type: "button", onclick: () => { renderContacts(); contacts.querySelector("button")?.focus(); } }, "Cancel"));
      return f;
    };
    const showForm = withPhoneRows(box, { build, read, phones: (d) => d.phones, prefix: `${prefix}.phones` });
    showForm({ ...start, phones: start.phones.map((p) => ({ ...p })) });
    const heading = h("h3", { tabindex: "-1" }, adding ? "New emergency contact" : `Edit ${start.name}`);
    contacts.replaceChildren(h("div", { class: "editor" }, heading, box));
    heading.focus();
  }

  async function removeContact(index) {
    const c = info.emergency_contacts[index];
    if (!(await confirmDialog(`Remove ${c.name} from the emergency contacts?`, "Remove"))) return;
    try {
      await save({ emergency_contacts: info.emergency_contacts.filter((_, i) => i !== index) }, renderContacts, `${c.name} was removed from the emergency contacts.`);
    } catch (error) {
      if (!conflict(error)) say(status, alertBox(error.message));
    }
  }

  function renderPharmacy() {
    const p = info.pharmacy;
    const f = form({
      fields: [
        { name: "pharmacy.name", label: "Pharmacy name", value: p?.name },
        { name: "pharmacy.address", label: "Pharmacy address", hint: "Street, city or town.", value: p?.address },
        { name: "pharmacy.phone", label: "Pharmacy phone", type: "tel", value: p?.phone },
      ],
      submit: p ? "Save pharmacy" : "Set pharmacy",
      onSubmit: async (v) => {
        await save({ pharmacy: { name: v["pharmacy.name"].trim(), address: v["pharmacy.address"].trim(), phone: v["pharmacy.phone"].trim() } }, renderPharmacy, "The preferred pharmacy was saved.");
      },
      onError: conflict,
    });
    const clear = async () => {
      if (!(await confirmDialog("Clear the preferred pharmacy?", "Clear pharmacy"))) return;
      try {
        await save({ pharmacy: null }, renderPharmacy, "The preferred pharmacy was cleared.");
      } catch (error) {
        if (!conflict(error)) say(status, alertBox(error.message));
      }
    };
    if (p) f.el.querySelector(".actions").append(h("button", { type: "button", class: "danger", onclick: clear }, "Clear pharmacy"));
    pharmacy.replaceChildren(p ? pharmacyFacts(p) : h("p", {}, "No pharmacy chosen yet."), h("h3", {}, p ? "Change the pharmacy" : "Choose a pharmacy"), f.el);
  }

  render();
  page(
    TITLE,
    whose(patient.given_name),
    h("p", { class: "lead" }, `Who to call in an emergency, and the pharmacy ${possessive(patient.given_name)} prescriptions go to.`),
    status,
    h("section", { class: "card", "aria-labelledby": "contacts-h" }, h("h2", { id: "contacts-h" }, "Emergency contacts"), contacts),
    h("section", { class: "card", "aria-labelledby": "pharmacy-h" }, h("h2", { id: "pharmacy-h" }, "Preferred pharmacy"), pharmacy),
    h("p", {}, "The address and phone numbers are under ", link("/account/demographics", "Pt Demographics"), "."),
  );
}
