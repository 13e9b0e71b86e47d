"""schemathesis hooks for tests/fuzz/run.py (loaded through SCHEMATHESIS_HOOKS).

One rule of the API ties two parameters together, which no schema can state: the `id` of a
PUT /api/patients/{patient_id}/demographics body must be the patient id of its path (else
400 naming `id`). Before each call, when both are schema-valid, the body's `id` is made the
path's; an `id` or a path that breaks its schema is left alone for the negative cases.
"""

import re

import schemathesis

DEMOGRAPHICS = ("PUT", "/api/patients/{patient_id}/demographics")
V4_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    if (case.operation.method.upper(), case.operation.path) != DEMOGRAPHICS:
        return
    path_id = (case.path_parameters or {}).get("patient_id")
    body = case.body
    valid = lambda value: isinstance(value, str) and V4_UUID.match(value)
    if isinstance(body, dict) and valid(body.get("id")) and valid(path_id):
        body["id"] = path_id
