// The portal's words for the API's values, in one place for every page.

export const ROLES = { staff: "Clinic office staff", admin: "Hospital portal administrator" };

export const ACCOUNT_KINDS = { family: "Family (patient or parent/guardian)", ...ROLES };

export const RELATIONSHIPS = { parent: "Parent", guardian: "Legal guardian", self: "The patient's own account" };

/** The words as a form field's options. */
export function options(words) {
  return Object.entries(words).map(([value, label]) => ({ value, label }));
}
