"""Each function's IAM role grants exactly the AWS calls its code makes (issue 9, item 14).

On the AWS backend every "answered" log line lists, in `sdk_calls`, the IAM actions its request
called: "cognito-idp:InitiateAuth dynamodb:GetItem@portal dynamodb:PutItem@portal-audit" (DynamoDB
ones name their table; a transaction's items appear as their PutItem/DeleteItem). This test takes
the aws portal's log of the whole scenario run, gathers per function (the route of each line, from
`portal-local --routes`, and LOCAL_WAYS_IN for the local run's way in to records-ingest, which
serves no route) every call it made, and holds infra/template.yaml to it:

- every call is granted to the function's role, on that table, the user pool or the SES identity;
- every grant of the role was used at least once, except those in UNREACHED, whose paths the
  black-box suite cannot reach.

Compared: the services the code calls (dynamodb, cognito-idp, ses). Not compared: the services in
NOT_CALLED_BY_CODE (logs, kms, sqs), which a role grants for AWS to act with it, never for a call
of our code; a role granting any other service fails the test.

It reads the log of the whole run, so conftest moves this module to the end (after test_logs.py,
which stops the portals: their logs are complete then)."""

from __future__ import annotations

import json
import os
import subprocess
from typing import NamedTuple

import pytest

from conftest import AUDIT_TABLE, PORTAL_BIN, REPO, after_the_aws_run, parse_log_lines

TEMPLATE = REPO / "infra" / "template.yaml"
COMPARED = ("dynamodb", "cognito-idp", "ses")
# Services a role grants that no code of ours calls, so no log line can show them used; why each.
NOT_CALLED_BY_CODE = {
    "logs": "the Lambda runtime writes the function's log group",
    "kms": "DynamoDB uses the tables' key on the role's behalf",
    "sqs": "Lambda's event source mapping receives the records queue's messages, and deletes those "
           "records-ingest filed, with that function's role; the code makes no SQS call",
}
SES_IDENTITY = "the MailFrom identity (SES)"

# Cognito APIs that IAM does not authorise: the client calls them with no AWS credentials, and
# Cognito checks the app client id, the sign-in session or the user's own token instead.
PUBLIC_COGNITO = {
    "cognito-idp:InitiateAuth",
    "cognito-idp:RespondToAuthChallenge",
    "cognito-idp:GetTokensFromRefreshToken",
    "cognito-idp:ForgotPassword",
    "cognito-idp:ConfirmForgotPassword",
    "cognito-idp:ChangePassword",
    "cognito-idp:GlobalSignOut",
    "cognito-idp:RevokeToken",
    "cognito-idp:GetUser",
    # Two-step sign-in's set-up with the user's own access token (issue 15).
    "cognito-idp:AssociateSoftwareToken",
    "cognito-idp:VerifySoftwareToken",
    "cognito-idp:SetUserMFAPreference",
}

class Grant(NamedTuple):
    action: str  # "dynamodb:PutItem"
    on: str  # a table's or the user pool's logical id, or SES_IDENTITY

    def __str__(self) -> str:
        return f"{self.action} on {self.on}"


# The local run's ways in to functions that serve no API route, as "METHOD /path" -> function.
# POST /dev/fhir runs records-ingest's code (portal::records::ingest, one bundle as one SQS
# message) and logs its "answered" line with the calls it made, so records-ingest's role is held
# to what that code does.
LOCAL_WAYS_IN = {
    "POST /dev/fhir": "records-ingest",
}

# Grants no scenario can use, with the path that needs each and why the suite cannot get there.
UNREACHED: dict[tuple[str, Grant], str] = {
    ("accounts", Grant("cognito-idp:AdminGetUser", "UserPool")):
        "a creation retried after Cognito created the user but the portal did not finish "
        "(AdminCreateUser answers 'exists', so the user's sub is read back); the suite cannot "
        "stop the portal between the two, and otherwise AdminCreateUser's answer carries the sub",
}


# --------------------------------------------------------------------------- the template


def load_template() -> dict:
    from cfnlint.decode import decode  # understands !Ref, !Sub, !GetAtt (plain YAML does not)

    template, matches = decode(str(TEMPLATE))
    assert not matches, f"cannot decode {TEMPLATE}: {[str(m) for m in matches]}"
    return template


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def function_roles(template: dict) -> dict[str, str]:
    """Each function's binary name -> its role's logical id."""
    roles = {}
    for lid, r in template["Resources"].items():
        if r.get("Type") == "AWS::Serverless::Function":
            role = r["Properties"].get("Role")
            assert isinstance(role, dict) and "Fn::GetAtt" in role, f"{lid}: needs its own role"
            roles[r["Metadata"]["BuildProperties"]["Binary"]] = role["Fn::GetAtt"][0]
    return roles


def table_ids(template: dict) -> dict[str, str]:
    """Table name -> logical id. The names are the TableName parameters' defaults, which are the
    local run's defaults too (portal-local's PORTAL_TABLE / PORTAL_AUDIT_TABLE; conftest sets neither)."""
    params = template.get("Parameters", {})
    ids = {}
    for lid, r in template["Resources"].items():
        if r.get("Type") == "AWS::DynamoDB::Table":
            name = r["Properties"]["TableName"]
            ids[params[name["Ref"]]["Default"] if isinstance(name, dict) else name] = lid
    assert AUDIT_TABLE in ids, f"no table named {AUDIT_TABLE} (conftest's audit table) in {ids}"
    return ids


def user_pool_id(template: dict) -> str:
    pools = [lid for lid, r in template["Resources"].items() if r.get("Type") == "AWS::Cognito::UserPool"]
    assert len(pools) == 1, f"expected one user pool, found {pools}"
    return pools[0]


def resource_target(resource) -> str:
    """What one Resource of a statement names: a resource's logical id, or the SES identity."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1] == "Arn":
        return resource["Fn::GetAtt"][0]
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text = as_list(resource["Fn::Sub"])[0]
        if ":ses:" in text and ":identity/" in text:
            return SES_IDENTITY
    raise AssertionError(f"cannot tell what {resource!r} names: teach test_iam.py")


def role_grants(template: dict, role: str) -> set[Grant]:
    """What a role allows on the compared services, one Grant per action and resource."""
    props = template["Resources"][role]["Properties"]
    assert not props.get("ManagedPolicyArns"), f"{role}: inline policies only, no managed policies"
    grants = set()
    for policy in props.get("Policies", []):
        for s in as_list(policy["PolicyDocument"]["Statement"]):
            assert "NotAction" not in s and "NotResource" not in s, f"{role}.{policy['PolicyName']}: {s}"
            unknown = [a for a in as_list(s["Action"]) if a.split(":")[0] not in (*COMPARED, *NOT_CALLED_BY_CODE)]
            assert not unknown, (f"{role}.{policy['PolicyName']} grants {unknown}: a service test_iam.py neither "
                                 "compares nor knows AWS to call with the role (NOT_CALLED_BY_CODE)")
            actions = [a for a in as_list(s["Action"]) if a.split(":")[0] in COMPARED]
            if actions:
                assert s["Effect"] == "Allow", f"{role}.{policy['PolicyName']}: {s}"
                grants |= {Grant(a, resource_target(r)) for a in actions for r in as_list(s["Resource"])}
    return grants


# --------------------------------------------------------------------------- the code's calls


def route_functions(tmp_path) -> dict[str, str]:
    """"METHOD /route/{template}" -> the function that serves it, from `portal-local --routes`, and
    the local run's LOCAL_WAYS_IN."""
    env = dict(os.environ, PORTAL_DATA_DIR=str(tmp_path))
    proc = subprocess.run([str(PORTAL_BIN), "--routes"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"portal-local --routes failed:\n{proc.stderr}"
    routes = {f"{r['method'].upper()} {r['path']}": r["function"] for r in json.loads(proc.stdout)}
    clash = sorted(routes.keys() & LOCAL_WAYS_IN.keys())
    assert not clash, f"LOCAL_WAYS_IN names API routes: {clash}"
    return routes | LOCAL_WAYS_IN


def calls_by_function(lines: list[dict], routes: dict[str, str], tables: dict[str, str], pool: str) -> dict[str, set[Grant]]:
    """The grants each function's calls need, over every "answered" line of a log."""
    answered = [line for line in lines if line.get("message") == "answered"]
    assert answered, "no 'answered' lines in the aws portal's log"
    without = [line for line in answered if "sdk_calls" not in line]
    if len(without) == len(answered):
        pytest.fail(f"no sdk_calls in the logs: none of the {len(answered)} 'answered' lines has the field", pytrace=False)
    assert not without, f"{len(without)} of {len(answered)} 'answered' lines lack sdk_calls, e.g. {without[0]}"

    needed: dict[str, set[Grant]] = {}
    for line in answered:
        route = f"{line['method'].upper()} {line['route']}"
        assert route in routes, f"a log line for {route}, which portal-local --routes does not list"
        for call in line["sdk_calls"].split():
            action, _, table = call.partition("@")
            service = action.split(":")[0]
            if action in PUBLIC_COGNITO:
                continue
            if service == "dynamodb":
                assert table in tables, f"{route} called {call}: no table of the template is named {table!r}"
                on = tables[table]
            elif service == "cognito-idp":
                on = pool
            elif service == "ses":
                on = SES_IDENTITY
            else:
                on = f"(a {service} resource: test_iam.py does not know the service)"
            needed.setdefault(routes[route], set()).add(Grant(action, on))
    return needed


# --------------------------------------------------------------------------- the comparison


def mismatches(needed: dict[str, set[Grant]], granted: dict[str, set[Grant]],
               unreached: dict[tuple[str, Grant], str]) -> list[str]:
    """What differs between the calls each function made and its role's grants."""
    out = []
    for function in sorted(needed.keys() - granted.keys()):
        out.append(f"{function} made calls but the template has no function of that name")
    for function in sorted(granted):
        used, allowed = needed.get(function, set()), granted[function]
        out += [f"{function} calls {g}, which its role does not grant" for g in sorted(used - allowed)]
        for g in sorted(allowed - used):
            if (function, g) not in unreached:
                out.append(f"{function}'s role grants {g}, which no scenario used: remove it, or add it to "
                           "UNREACHED with the path that needs it")
    for (function, g) in sorted(unreached):
        if g not in granted.get(function, set()):
            out.append(f"UNREACHED lists {g} for {function}, whose role does not grant it")
        elif g in needed.get(function, set()):
            out.append(f"UNREACHED lists {g} for {function}, but the suite used it: remove it from UNREACHED")
    return out


def test_every_role_grants_exactly_the_calls_its_function_makes(servers, request, tmp_path):
    after_the_aws_run(servers, request, "SDK calls")
    # Read as it is, never servers.get("aws"): once test_logs.py has stopped the portal, starting
    # it again would begin a new log.
    log_path = servers.logs["aws"]

    template = load_template()
    tables, pool = table_ids(template), user_pool_id(template)
    needed = calls_by_function(parse_log_lines(log_path.read_text(errors="replace")),
                               route_functions(tmp_path), tables, pool)
    granted = {function: role_grants(template, role) for function, role in function_roles(template).items()}
    problems = mismatches(needed, granted, UNREACHED)
    assert not problems, f"IAM and the code disagree ({log_path}):\n  " + "\n  ".join(problems)


def test_the_comparison_finds_what_it_should():
    get, put = Grant("dynamodb:GetItem", "Table"), Grant("dynamodb:PutItem", "Table")
    undo = Grant("cognito-idp:AdminSetUserPassword", "UserPool")
    assert mismatches({"auth": {get}}, {"auth": {get}, "web": set()}, {}) == []
    assert mismatches({"auth": {get, put}}, {"auth": {get}}, {}) == [
        "auth calls dynamodb:PutItem on Table, which its role does not grant"]
    assert mismatches({"auth": {get}}, {"auth": {get, put}}, {})[0].startswith(
        "auth's role grants dynamodb:PutItem on Table, which no scenario used")
    assert mismatches({"auth": {get}}, {"auth": {get, undo}}, {("auth", undo): "why"}) == []
    assert "the suite used it" in mismatches({"auth": {undo}}, {"auth": {undo}}, {("auth", undo): "why"})[0]
    assert "does not grant it" in mismatches({}, {"auth": set()}, {("auth", undo): "why"})[0]
    assert mismatches({"sms": {get}}, {}, {}) == ["sms made calls but the template has no function of that name"]

    routes = {"POST /api/auth/login": "auth", "POST /api/auth/forgot-password": "auth"}
    tables = {"portal": "Table", "portal-audit": "AuditTable"}
    lines = [
        {"message": "answered", "method": "POST", "route": "/api/auth/login",
         "sdk_calls": "cognito-idp:InitiateAuth dynamodb:GetItem@portal dynamodb:PutItem@portal-audit"},
        {"message": "answered", "method": "POST", "route": "/api/auth/forgot-password",
         "sdk_calls": "dynamodb:PutItem@portal ses:SendEmail"},
        {"message": "answered", "method": "POST", "route": "/api/auth/login", "sdk_calls": ""},
        {"message": "started"},
    ]
    assert calls_by_function(lines, routes, tables, "UserPool") == {
        "auth": {get, put, Grant("dynamodb:PutItem", "AuditTable"), Grant("ses:SendEmail", SES_IDENTITY)}}
    with pytest.raises(pytest.fail.Exception, match="no sdk_calls in the logs"):
        calls_by_function([{"message": "answered", "method": "GET", "route": "/x"}], routes, tables, "UserPool")


def test_the_template_is_read_as_it_is_written():
    """The template side on its own: the grants the roles really have, not an empty set."""
    template = load_template()
    roles = function_roles(template)
    assert set(roles) >= {"auth", "accounts", "profile", "records", "appointments", "messages", "clinics", "web",
                          "records-ingest"}
    assert set(LOCAL_WAYS_IN.values()) <= set(roles), f"LOCAL_WAYS_IN names no function of the template: {LOCAL_WAYS_IN}"
    tables = table_ids(template)
    assert set(tables) == {"portal", AUDIT_TABLE}
    grants = {function: role_grants(template, role) for function, role in roles.items()}
    assert Grant("dynamodb:PutItem", tables[AUDIT_TABLE]) in grants["auth"]
    assert Grant("ses:SendEmail", SES_IDENTITY) in grants["accounts"]
    assert Grant("ses:SendEmail", SES_IDENTITY) in grants["auth"]
    assert Grant("cognito-idp:AdminSetUserPassword", user_pool_id(template)) in grants["auth"]
    assert grants["web"] == grants["clinics"] == set()
    # records-ingest: the main table (and the "new information" mail), never the audit table;
    # its SQS grants are the event source mapping's, not compared.
    assert Grant("dynamodb:PutItem", tables["portal"]) in grants["records-ingest"]
    assert Grant("ses:SendEmail", SES_IDENTITY) in grants["records-ingest"]
    assert not {g for g in grants["records-ingest"] if g.on == tables[AUDIT_TABLE]}
    # appointments: conditional writes and transactions on the main table, audit records
    # appended (never read: it shows no trail), and the family's "new information" mail.
    assert Grant("dynamodb:PutItem", tables["portal"]) in grants["appointments"]
    assert {g for g in grants["appointments"] if g.on == tables[AUDIT_TABLE]} == {
        Grant("dynamodb:PutItem", tables[AUDIT_TABLE])}
    assert Grant("ses:SendEmail", SES_IDENTITY) in grants["appointments"]
    assert not {g for g in grants["appointments"] if g.action.startswith("cognito-idp:")}
    # messages: the same, for conversations and refill requests (their lists and inboxes moved
    # in transactions: PutItem and DeleteItem), and the mail when the office replies or answers.
    assert {g for g in grants["messages"] if g.on == tables["portal"]} == {
        Grant(f"dynamodb:{a}", tables["portal"]) for a in ("GetItem", "BatchGetItem", "Query", "PutItem", "DeleteItem")}
    assert {g for g in grants["messages"] if g.on == tables[AUDIT_TABLE]} == {
        Grant("dynamodb:PutItem", tables[AUDIT_TABLE])}
    assert Grant("ses:SendEmail", SES_IDENTITY) in grants["messages"]
    assert not {g for g in grants["messages"] if g.action.startswith("cognito-idp:")}
