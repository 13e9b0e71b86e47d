"""The route contract: code, template, OpenAPI document and events agree.

Three lists name the portal's routes and must stay equal:
  (a) the code: `portal-local --routes` (JSON: method, path, function, auth),
  (b) infra/template.yaml: each function's HttpApi events,
  (c) infra/openapi.yaml: paths, methods, `x-portal-function`, `security`.
Every route has an API Gateway v2 event in events/<function>/, every event is
for a real route, and cfn-lint passes on the template. A function that serves no
route is fed by an SQS queue (records-ingest): its events/<function>/ holds SQS
events instead, checked against its SQS event in the template.

Run with the project's virtualenv: `.venv/bin/pytest tests/test_contract.py`.
PORTAL_BIN (default target/debug/portal-local) and CFN_LINT (default
.venv/bin/cfn-lint) may be absolute or relative to the repository root.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
OPENAPI = ROOT / "infra" / "openapi.yaml"
EVENTS = ROOT / "events"

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def repo_path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else ROOT / path


PORTAL_BIN = repo_path(os.environ.get("PORTAL_BIN", "target/debug/portal-local"))
CFN_LINT = repo_path(os.environ.get("CFN_LINT", ".venv/bin/cfn-lint"))


class Route(NamedTuple):
    method: str
    path: str
    function: str
    auth: str  # "none" or "jwt"

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def as_set(routes: list[Route], source: str) -> set[Route]:
    keys = [r.key for r in routes]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes, f"{source} declares these routes more than once: {dupes}"
    return set(routes)


def assert_same(name_a: str, a: set[Route], name_b: str, b: set[Route]) -> None:
    only_a = sorted(a - b)
    only_b = sorted(b - a)
    assert not only_a and not only_b, (
        f"route lists differ\n  only in {name_a}: {only_a}\n  only in {name_b}: {only_b}"
    )


# --------------------------------------------------------------- (a) code
def code_routes(data_dir: Path) -> set[Route]:
    if not PORTAL_BIN.is_file():
        pytest.fail(
            f"{PORTAL_BIN} does not exist: build it first "
            "(`cargo build --bin portal-local`) or set PORTAL_BIN"
        )
    env = dict(os.environ, PORTAL_DATA_DIR=str(data_dir))
    proc = subprocess.run(
        [str(PORTAL_BIN), "--routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"portal-local --routes failed:\n{proc.stderr}"
    try:
        raw = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        pytest.fail(f"portal-local --routes did not print JSON ({e}):\n{proc.stdout[:2000]}")
    assert isinstance(raw, list) and raw, "portal-local --routes must print a non-empty JSON array"
    routes = []
    for item in raw:
        assert isinstance(item, dict) and set(item) >= {"method", "path", "function", "auth"}, (
            f"route entry without method/path/function/auth: {item!r}"
        )
        assert item["auth"] in ("none", "jwt"), f"auth must be 'none' or 'jwt': {item!r}"
        routes.append(Route(item["method"].upper(), item["path"], item["function"], item["auth"]))
    return as_set(routes, "portal-local --routes")


# ----------------------------------------------------------- (b) template
def load_template() -> dict[str, Any]:
    # cfn-lint's own decoder understands !Ref, !Sub, !GetAtt, ... (plain YAML does not).
    from cfnlint.decode import decode

    template, matches = decode(str(TEMPLATE))
    assert not matches, f"cannot decode {TEMPLATE}: {[str(m) for m in matches]}"
    assert isinstance(template, dict)
    return template


def merged_properties(template: dict[str, Any], resource: dict[str, Any], section: str) -> dict:
    """Resource properties with the SAM Globals section merged in (shallowly)."""
    merged = dict(template.get("Globals", {}).get(section, {}))
    merged.update(resource.get("Properties", {}))
    return merged


def template_routes(template: dict[str, Any]) -> set[Route]:
    resources = template["Resources"]
    apis = {lid: r for lid, r in resources.items() if r.get("Type") == "AWS::Serverless::HttpApi"}
    assert len(apis) == 1, f"expected exactly one AWS::Serverless::HttpApi, found {sorted(apis)}"
    api_id, api = next(iter(apis.items()))
    auth = merged_properties(template, api, "HttpApi").get("Auth", {})
    authorizers = auth.get("Authorizers", {})
    jwt_authorizers = {name for name, a in authorizers.items() if "JwtConfiguration" in a}
    assert jwt_authorizers, f"{api_id} declares no JWT authorizer"
    default_authorizer = auth.get("DefaultAuthorizer")

    routes = []
    for lid, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        events = resource.get("Properties", {}).get("Events", {})
        http_events = {n: e for n, e in events.items() if e.get("Type") == "HttpApi"}
        if not http_events:
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        assert binary, f"{lid} serves routes but has no Metadata.BuildProperties.Binary"
        for name, event in http_events.items():
            props = event.get("Properties", {})
            where = f"{lid}.Events.{name}"
            assert props.get("ApiId") == {"Ref": api_id}, (
                f"{where} must name `ApiId: !Ref {api_id}` (otherwise SAM makes an implicit API)"
            )
            if "Method" not in props and "Path" not in props:
                continue  # the $default route: see test_unrouted_requests_reach_a_function
            assert "Method" in props and "Path" in props, f"{where} needs Method and Path"
            authorizer = props.get("Auth", {}).get("Authorizer", default_authorizer)
            if authorizer == "NONE":
                route_auth = "none"
            elif authorizer in jwt_authorizers:
                route_auth = "jwt"
            else:
                pytest.fail(f"{where}: authorizer {authorizer!r} is neither NONE nor a JWT authorizer")
            routes.append(Route(str(props["Method"]).upper(), str(props["Path"]), binary, route_auth))
    return as_set(routes, "infra/template.yaml")


# ------------------------------------------------------------ (c) OpenAPI
def load_openapi() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text())


def openapi_operations(doc: dict[str, Any]):
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def openapi_routes(doc: dict[str, Any]) -> set[Route]:
    schemes = doc.get("components", {}).get("securitySchemes", {})
    bearer = {
        name
        for name, s in schemes.items()
        if s.get("type") == "http" and str(s.get("scheme", "")).lower() == "bearer"
    }
    routes = []
    for path, method, op in openapi_operations(doc):
        where = f"{method.upper()} {path}"
        function = op.get("x-portal-function")
        assert function, f"{where} has no x-portal-function"
        security = op.get("security", doc.get("security", []))
        if security == []:
            auth = "none"
        else:
            names = [set(req) for req in security]
            assert all(req and req <= bearer for req in names), (
                f"{where}: security must be [] or bearer JWT only, got {security!r}"
            )
            auth = "jwt"
        routes.append(Route(method.upper(), path, function, auth))
    return as_set(routes, "infra/openapi.yaml")


# ------------------------------------------------------------------ tests
def test_template_and_openapi_declare_the_same_routes():
    assert_same(
        "infra/template.yaml", template_routes(load_template()),
        "infra/openapi.yaml", openapi_routes(load_openapi()),
    )


def test_code_serves_exactly_the_declared_routes(tmp_path):
    code = code_routes(tmp_path)
    assert_same("portal-local --routes", code, "infra/template.yaml", template_routes(load_template()))
    assert_same("portal-local --routes", code, "infra/openapi.yaml", openapi_routes(load_openapi()))


def test_openapi_lists_every_security_event_the_code_records():
    """The admins' "Security events" answer names each event by its id: the document's enum
    is the code's list (`portal-local --audit-ids`), so a new event is documented."""
    if not PORTAL_BIN.is_file():
        pytest.fail(f"{PORTAL_BIN} does not exist: build it first (`cargo build --bin portal-local`) or set PORTAL_BIN")
    out = subprocess.run([str(PORTAL_BIN), "--audit-ids"], capture_output=True, text=True, check=True, timeout=60)
    code = json.loads(out.stdout)["security_events"]
    documented = load_openapi()["components"]["schemas"]["SecurityEvent"]["properties"]["event"]["enum"]
    assert sorted(documented) == sorted(code)


def test_template_binaries_are_workspace_crates():
    template = load_template()
    crates = {}
    for manifest in (ROOT / "functions").glob("*/Cargo.toml"):
        data = tomllib.loads(manifest.read_text())
        names = {data.get("package", {}).get("name")}
        names |= {b.get("name") for b in data.get("bin", [])}
        for name in names - {None}:
            crates[name] = manifest
    for lid, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        metadata = resource.get("Metadata", {})
        assert metadata.get("BuildMethod") == "rust-cargolambda", f"{lid}: BuildMethod"
        binary = metadata.get("BuildProperties", {}).get("Binary")
        assert binary in crates, f"{lid}: Binary {binary!r} is not a crate/bin in functions/"


# Issue 14: the SDK crates each `portal::app::Clients` set links (aws-config's own STS aside).
SDK_OF_CLIENTS = {
    None: set(),
    "TableOnly": {"aws-sdk-dynamodb"},
    "WithMail": {"aws-sdk-dynamodb", "aws-sdk-ses"},
    "WithIdentityAndMail": {"aws-sdk-dynamodb", "aws-sdk-ses", "aws-sdk-cognitoidentityprovider"},
}


def test_each_function_links_only_the_sdk_clients_it_builds():
    """Every deployed function's crate names the clients it builds (`pub type Clients`), its
    main builds that set, and its dependency tree holds those SDK crates and no other: the
    portal crate's features follow the set. `clinics` and `web` link no SDK at all."""
    template = load_template()
    binaries = sorted(r["Metadata"]["BuildProperties"]["Binary"] for r in template["Resources"].values()
                      if r.get("Type") == "AWS::Serverless::Function")
    wrong = []
    for name in binaries:
        crate = ROOT / "functions" / name
        declared = re.search(r"^pub type Clients = portal::app::(\w+);", (crate / "src" / "lib.rs").read_text(), re.M)
        clients = declared and declared.group(1)
        main = (crate / "src" / "main.rs").read_text()
        builds = re.search(r"App::from_env::<(\w+)::Clients>\(\)", main)
        if clients and not (builds and builds.group(1) == name.replace("-", "_")):
            wrong.append(f"{name}: main.rs does not build `{name.replace('-', '_')}::Clients`")
        if not clients and "App::" in main:
            wrong.append(f"{name}: builds an App without naming its Clients")
        tree = subprocess.run(["cargo", "tree", "--locked", "-p", name, "-e", "normal", "--prefix", "none"],
                              cwd=ROOT, capture_output=True, text=True, check=True).stdout
        linked = set(re.findall(r"^(aws-sdk-[a-z]+|aws-config) ", tree, re.M)) - {"aws-sdk-sts"}
        expected = SDK_OF_CLIENTS[clients] | ({"aws-config"} if clients else set())
        if linked != expected:
            wrong.append(f"{name} ({clients}): links {sorted(linked)}, expected {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


def test_openapi_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    doc = load_openapi()
    assert str(doc.get("openapi", "")).startswith("3.1"), "must be OpenAPI 3.1"
    validate(doc)


# ----------------------------------------------------------------- events
def queue_functions(template: dict[str, Any]) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Function binary -> (logical id, properties of its SQS events), for every function fed
    by a queue. Such a function serves no route: its events/<binary>/ holds SQS events."""
    found = {}
    for lid, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        events = resource.get("Properties", {}).get("Events", {})
        sqs = [e.get("Properties", {}) for e in events.values() if e.get("Type") == "SQS"]
        if not sqs:
            continue
        kinds = sorted({str(e.get("Type")) for e in events.values()})
        assert kinds == ["SQS"], (
            f"{lid} takes SQS and {kinds} events: a function serves routes or a queue, not both "
            "(its events/ folder holds one kind of event)"
        )
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        assert binary, f"{lid} has no Metadata.BuildProperties.Binary"
        found[binary] = (lid, sqs)
    return found


def all_events() -> dict[Path, dict[str, Any]]:
    events = {}
    for path in sorted(EVENTS.rglob("*.json")):
        events[path] = json.loads(path.read_text())
    return events


def api_events() -> dict[Path, dict[str, Any]]:
    """The API Gateway v2 events: every event but those of queue-fed functions."""
    queued = queue_functions(load_template())
    return {path: ev for path, ev in all_events().items() if path.parent.name not in queued}


def body_schema_validator(doc: dict[str, Any], path: str, method: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def escape(part: str) -> str:
        return part.replace("~", "~0").replace("/", "~1")

    pointer = "/".join(
        ["", "paths", escape(path), method, "requestBody", "content", escape("application/json"), "schema"]
    )
    registry = Registry().with_resource(
        "urn:portal:openapi", Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:portal:openapi#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def default_route_events(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(function binary, event properties) of every HttpApi event without Method and Path,
    which SAM turns into API Gateway's $default route."""
    found = []
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        for event in resource.get("Properties", {}).get("Events", {}).values():
            props = event.get("Properties", {})
            if event.get("Type") == "HttpApi" and "Method" not in props and "Path" not in props:
                found.append((binary, props))
    return found


def test_unrouted_requests_reach_the_web_function():
    """API Gateway's $default route takes every request no route takes: the pages, and
    unknown /api paths and wrong methods (else API Gateway would answer those itself, not as
    problem+json). Exactly one function takes it, `web`, unauthenticated, with events."""
    defaults = default_route_events(load_template())
    assert len(defaults) == 1, f"expected one $default route, found {len(defaults)}"
    binary, props = defaults[0]
    assert binary == "web", f"$default goes to {binary}, which does not serve the pages"
    assert props.get("Auth", {}).get("Authorizer") == "NONE", "$default must not require a token"
    paths = {ev.get("rawPath") for p, ev in api_events().items() if p.parent.name == "web"}
    keys = {ev.get("routeKey") for p, ev in api_events().items() if p.parent.name == "web"}
    assert keys == {"$default"}, f"events/web/ holds only $default events: {keys}"
    assert any(p.startswith("/api/") for p in paths), "no events/web/ event for an unrouted /api path"
    assert any(not p.startswith("/api/") for p in paths), "no events/web/ event for a page"


def test_every_route_has_an_event():
    routes = template_routes(load_template())
    covered = {ev.get("routeKey") for ev in api_events().values()}
    missing = sorted(r.key for r in routes if r.key not in covered)
    assert not missing, f"routes without an event in events/: {missing}"


def test_every_event_is_a_well_formed_event_for_a_real_route():
    routes = {r.key: r for r in template_routes(load_template())}
    events = api_events()
    assert events, "no events in events/"
    for file, ev in events.items():
        name = file.relative_to(ROOT)
        key = ev.get("routeKey")
        if key == "$default":
            continue  # checked by test_unrouted_requests_reach_the_web_function
        assert key in routes, f"{name}: routeKey {key!r} is not a route of the template"
        route = routes[key]
        assert file.parent.name == route.function, (
            f"{name}: {key} is served by {route.function}, so the event belongs in events/{route.function}/"
        )
        assert ev.get("version") == "2.0" and ev.get("isBase64Encoded") is False, name
        assert ev.get("rawQueryString") == "", f"{name}: no query strings (no PHI in URLs)"
        ctx = ev["requestContext"]
        assert ctx["routeKey"] == key and ctx["stage"] == "$default", name
        assert ctx["http"]["method"] == route.method, f"{name}: requestContext.http.method"
        assert ctx["http"]["path"] == ev["rawPath"], f"{name}: requestContext.http.path != rawPath"
        assert isinstance(ctx["timeEpoch"], int) and ctx.get("accountId") and ctx.get("apiId"), name
        headers = ev.get("headers", {})
        assert all(h == h.lower() for h in headers), f"{name}: API Gateway v2 lower-cases header names"

        placeholders = re.findall(r"\{([^}]+)\}", route.path)
        params = ev.get("pathParameters") or {}
        assert sorted(params) == sorted(placeholders), f"{name}: pathParameters {params}"
        expected_path = route.path
        for p in placeholders:
            expected_path = expected_path.replace("{" + p + "}", params[p])
        assert ev["rawPath"] == expected_path, f"{name}: rawPath {ev['rawPath']!r} != {expected_path!r}"

        if route.auth == "jwt":
            assert headers.get("authorization", "").startswith("Bearer "), f"{name}: bearer token"
            claims = ctx.get("authorizer", {}).get("jwt", {}).get("claims")
            assert isinstance(claims, dict), f"{name}: requestContext.authorizer.jwt.claims"
            assert all(isinstance(v, str) for v in claims.values()), (
                f"{name}: API Gateway passes every claim as a string"
            )
            for claim in ("sub", "username", "client_id", "token_use", "iss", "exp", "iat"):
                assert claim in claims, f"{name}: claim {claim} missing"
            assert claims["token_use"] == "access", name
        else:
            assert "authorizer" not in ctx, f"{name}: a route without authorizer gets no claims"


def test_event_bodies_match_the_openapi_request_schemas():
    doc = load_openapi()
    for file, ev in api_events().items():
        name = file.relative_to(ROOT)
        if ev["routeKey"] == "$default":
            continue
        method, path = ev["routeKey"].split(" ", 1)
        op = doc["paths"][path][method.lower()]
        if "requestBody" not in op:
            assert ev.get("body") in (None, ""), f"{name}: {ev['routeKey']} takes no body"
            continue
        assert ev["headers"].get("content-type") == "application/json", f"{name}: content-type"
        body = json.loads(ev["body"])
        assert int(ev["headers"]["content-length"]) == len(ev["body"].encode()), f"{name}: content-length"
        errors = [e.message for e in body_schema_validator(doc, path, method.lower()).iter_errors(body)]
        assert not errors, f"{name}: body does not match the OpenAPI schema: {errors}"
        takes_key = any(
            p.get("$ref", "").endswith("/IdempotencyKey") for p in op.get("parameters", [])
        )
        if takes_key:
            assert ev["headers"].get("idempotency-key"), f"{name}: exercise Idempotency-Key"


def test_openapi_request_schemas_refuse_unknown_fields():
    # Guards the test above against a schema that accepts anything.
    doc = load_openapi()
    events = {ev["routeKey"]: ev for ev in api_events().values()}
    checked = 0
    for path, method, op in openapi_operations(doc):
        if "requestBody" not in op:
            continue
        ev = events.get(f"{method.upper()} {path}")
        assert ev is not None, f"{method.upper()} {path}: no event"
        body = json.loads(ev["body"])
        body["unexpected_field"] = "x"
        validator = body_schema_validator(doc, path, method)
        assert not validator.is_valid(body), f"{method.upper()} {path} accepts unknown fields"
        checked += 1
    assert checked >= 10


def test_functions_without_routes_take_sqs_events():
    """A function that serves no route takes only SQS events: records-ingest files the
    hospital's FHIR Bundles from the records queue, answering failed messages by id
    (ReportBatchItemFailures); the queue has a dead-letter queue and a visibility timeout
    of at least 6 times the function's timeout. Its events/<binary>/ files are SQS events
    (one message a bundle), not API Gateway events, and every function has one kind or
    the other."""
    template = load_template()
    res = template["Resources"]
    queued = queue_functions(template)
    assert "records-ingest" in queued, "no function with Binary records-ingest and an SQS event"

    routed = {r.function for r in template_routes(template)} | {b for b, _ in default_route_events(template)}
    for lid, r in res.items():
        if r.get("Type") == "AWS::Serverless::Function":
            binary = r["Metadata"]["BuildProperties"]["Binary"]
            assert (binary in routed) != (binary in queued), (
                f"{lid} ({binary}) must serve routes or take a queue's messages, one of the two"
            )

    for binary, (lid, sqs_events) in queued.items():
        props = merged_properties(template, res[lid], "Function")
        timeout = int(props.get("Timeout", 3))
        assert len(sqs_events) == 1, f"{lid}: one queue per function"
        event = sqs_events[0]
        assert event.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], (
            f"{lid}: without ReportBatchItemFailures one bad bundle sends its whole batch back"
        )
        queue = event.get("Queue")
        assert isinstance(queue, dict) and queue.get("Fn::GetAtt", [None])[1:] == ["Arn"], (
            f"{lid}: Queue must be !GetAtt <queue>.Arn"
        )
        queue_lid = queue["Fn::GetAtt"][0]
        assert res[queue_lid]["Type"] == "AWS::SQS::Queue", f"{lid}: {queue_lid} is not a queue"
        q = res[queue_lid]["Properties"]
        assert q.get("SqsManagedSseEnabled") is True or q.get("KmsMasterKeyId"), f"{queue_lid}: not encrypted"
        assert int(q["VisibilityTimeout"]) >= 6 * timeout, (
            f"{queue_lid}: VisibilityTimeout {q['VisibilityTimeout']} < 6 x {lid}'s Timeout {timeout}"
        )
        dlq = q.get("RedrivePolicy", {}).get("deadLetterTargetArn")
        assert isinstance(dlq, dict) and res[dlq["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue", (
            f"{queue_lid}: needs a RedrivePolicy to a dead-letter queue"
        )
        max_size = int(q.get("MaximumMessageSize", 262144))

        files = sorted((EVENTS / binary).glob("*.json"))
        assert files, f"no SQS event in events/{binary}/"
        for file in files:
            name = file.relative_to(ROOT)
            ev = json.loads(file.read_text())
            records = ev.get("Records")
            assert isinstance(records, list) and records, f"{name}: an SQS event has a non-empty Records list"
            assert set(ev) == {"Records"}, f"{name}: an SQS event holds Records only, not {sorted(ev)}"
            assert len(records) <= int(event.get("BatchSize", 10)), f"{name}: more messages than BatchSize"
            ids = [m.get("messageId") for m in records]
            assert all(isinstance(i, str) and i for i in ids), f"{name}: every message needs a messageId"
            assert len(set(ids)) == len(ids), f"{name}: messageIds repeat (failures are reported by them)"
            for m in records:
                assert m.get("eventSource") == "aws:sqs", f"{name}: eventSource {m.get('eventSource')!r}"
                assert str(m.get("eventSourceARN", "")).startswith("arn:aws:sqs:"), f"{name}: eventSourceARN"
                assert isinstance(m.get("receiptHandle"), str) and m["receiptHandle"], f"{name}: receiptHandle"
                assert isinstance(m.get("attributes"), dict), f"{name}: attributes"
                body = m.get("body")
                assert isinstance(body, str), f"{name}: {m['messageId']} has no body"
                assert len(body.encode()) <= max_size, f"{name}: a body over the queue's MaximumMessageSize"


# --------------------------------------------------------------- template
def test_cfn_lint_passes():
    assert CFN_LINT.is_file(), f"{CFN_LINT} not found (the test command installs cfn-lint into .venv)"
    proc = subprocess.run(
        [str(CFN_LINT), str(TEMPLATE.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"cfn-lint exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"


def test_template_keeps_the_security_settings():
    template = load_template()
    res = template["Resources"]

    def one(type_: str) -> tuple[str, dict]:
        found = [(lid, r) for lid, r in res.items() if r.get("Type") == type_]
        assert len(found) == 1, f"expected one {type_}, found {[lid for lid, _ in found]}"
        return found[0]

    # Two tables: the main one (PORTAL_TABLE) and the access audit (PORTAL_AUDIT_TABLE).
    tables = {lid for lid, r in res.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    main_lid, audit_lid = table_ids(template)
    assert tables == {main_lid, audit_lid}, f"expected the main and the audit table, found {sorted(tables)}"
    for lid in (main_lid, audit_lid):
        table = res[lid]
        t = table["Properties"]
        assert table.get("DeletionPolicy") == "Retain" and table.get("UpdateReplacePolicy") == "Retain", lid
        assert t["BillingMode"] == "PAY_PER_REQUEST", lid
        assert [k["AttributeName"] for k in t["KeySchema"]] == ["pk", "sk"], lid
        assert "GlobalSecondaryIndexes" not in t and "LocalSecondaryIndexes" not in t, lid
        assert t["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, lid
        assert t["DeletionProtectionEnabled"] is True, lid
        assert t["SSESpecification"]["SSEEnabled"] is True, lid
    assert res[main_lid]["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # Audit records are kept: no TTL deletes them.
    assert "TimeToLiveSpecification" not in res[audit_lid]["Properties"], "the audit table must not expire records"

    pool_id, pool = one("AWS::Cognito::UserPool")
    p = pool["Properties"]
    assert p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = p["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 12 and policy["TemporaryPasswordValidityDays"] == 3
    assert not any(policy.get(k) for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))
    assert p["UsernameConfiguration"]["CaseSensitive"] is False
    # No self-service recovery (the public client id would mail codes past our throttles),
    # no Cognito-sent mail and no trigger: reset codes are the auth function's own.
    assert p["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Name": "admin_only", "Priority": 1}]
    assert "LambdaConfig" not in p and "EmailConfiguration" not in p
    assert not [r for r in res.values() if r.get("Type") == "AWS::Lambda::Permission"]

    groups = {r["Properties"]["GroupName"] for r in res.values() if r.get("Type") == "AWS::Cognito::UserPoolGroup"}
    assert groups == {"admin", "staff"}

    _, client = one("AWS::Cognito::UserPoolClient")
    c = client["Properties"]
    assert c["GenerateSecret"] is False
    # No public password flow: passwords are checked through AdminInitiateAuth (IAM) only.
    assert set(c["ExplicitAuthFlows"]) == {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert c["PreventUserExistenceErrors"] == "ENABLED"
    assert c["EnableTokenRevocation"] is True
    minutes = {"minutes": 1, "hours": 60, "days": 1440}[c["TokenValidityUnits"]["AccessToken"]]
    assert c["AccessTokenValidity"] * minutes <= 60, "access tokens live at most 60 minutes"
    assert c.get("WriteAttributes"), "users must not write their own email/preferred_username"
    assert not {"email", "email_verified", "preferred_username"} & set(c["WriteAttributes"])

    for lid, r in res.items():
        if r.get("Type") != "AWS::Serverless::Function":
            continue
        props = merged_properties(template, r, "Function")
        assert props["Runtime"] == "provided.al2023" and props["Architectures"] == ["arm64"], lid
        assert props["Handler"] == "bootstrap", lid
        role = props.get("Role")
        assert isinstance(role, dict) and "Fn::GetAtt" in role, f"{lid}: needs its own role"
        statements = [
            s
            for pol in res[role["Fn::GetAtt"][0]]["Properties"].get("Policies", [])
            for s in pol["PolicyDocument"]["Statement"]
        ]
        for s in statements:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            assert s.get("Resource") not in ("*", ["*"]), f"{lid}: {actions} on every resource"
            assert not any(a.endswith("*") for a in actions), f"{lid}: wildcard action {actions}"


# ------------------------------------------------------------------ audit
# What would change or remove an existing audit record (or the table).
AUDIT_FORBIDDEN = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:UpdateTable",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTimeToLive",
)


def table_ids(template: dict[str, Any]) -> tuple[str, str]:
    """Logical ids of the main table and the audit table, as the functions are told them."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    main, audit = variables.get("PORTAL_TABLE"), variables.get("PORTAL_AUDIT_TABLE")
    assert isinstance(main, dict) and "Ref" in main, "Globals must set PORTAL_TABLE: !Ref <table>"
    assert isinstance(audit, dict) and "Ref" in audit, "Globals must set PORTAL_AUDIT_TABLE: !Ref <table>"
    assert main["Ref"] != audit["Ref"], "the audit store is its own table"
    return main["Ref"], audit["Ref"]


def policy_statements(template: dict[str, Any]):
    """(where, statement) of every IAM policy statement in the template: inline role
    policies, standalone policies and SAM function policies."""
    for lid, r in template["Resources"].items():
        props = r.get("Properties", {})
        docs = []
        if r.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            docs = [(f"{lid}.{pol.get('PolicyName')}", pol["PolicyDocument"]) for pol in props.get("Policies", [])]
        elif r.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            docs = [(lid, props["PolicyDocument"])]
        elif r.get("Type") == "AWS::Serverless::Function":
            policies = props.get("Policies", [])
            for i, pol in enumerate(policies if isinstance(policies, list) else [policies]):
                if isinstance(pol, dict) and "Statement" in pol:
                    docs.append((f"{lid}.Policies[{i}]", pol))
                elif pol:
                    # SAM policy templates and managed policy names are opaque here.
                    pytest.fail(f"{lid}: use an own role with inline policies, not {pol!r}")
        for where, doc in docs:
            statements = doc["Statement"]
            for s in statements if isinstance(statements, list) else [statements]:
                yield where, s


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def touches(statement: dict[str, Any], audit_lid: str, audit_name_param: str | None) -> bool:
    """Whether a statement may apply to the audit table: it names it (by logical id or
    its name parameter) or names resources by wildcard."""
    if "NotResource" in statement:
        return True
    text = json.dumps(statement.get("Resource"))
    names = {audit_lid} | ({audit_name_param} if audit_name_param else set())
    return any(re.search(rf"\b{re.escape(n)}\b", text) for n in names) or "*" in text


def test_audit_table_is_append_only():
    """The issue: "the audit store is its own table in the template, whose IAM grants the
    functions put but no update or delete"."""
    template = load_template()
    _, audit_lid = table_ids(template)
    name = template["Resources"][audit_lid]["Properties"].get("TableName")
    name_param = name.get("Ref") if isinstance(name, dict) else None

    granted: dict[str, set[str]] = {}
    for where, s in policy_statements(template):
        if s.get("Effect") != "Allow" or not touches(s, audit_lid, name_param):
            continue
        assert "NotAction" not in s, f"{where}: NotAction on the audit table"
        actions = [str(a) for a in as_list(s["Action"])]
        for action in actions:
            bad = [f for f in AUDIT_FORBIDDEN if fnmatch.fnmatchcase(f.lower(), action.lower())]
            assert not bad, f"{where}: {action} allows {bad} on the append-only audit table"
        granted.setdefault(where.split(".")[0], set()).update(a.lower() for a in actions)

    # ... and the functions that audit can write (and, to show it, read) the trail.
    roles = {
        r["Metadata"]["BuildProperties"]["Binary"]: r["Properties"]["Role"]["Fn::GetAtt"][0]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::Serverless::Function"
    }
    for binary, needs in {
        "auth": {"dynamodb:putitem"},
        "accounts": {"dynamodb:putitem", "dynamodb:query"},
        "profile": {"dynamodb:putitem", "dynamodb:query"},
        "records": {"dynamodb:putitem"},
        "appointments": {"dynamodb:putitem"},
        "messages": {"dynamodb:putitem"},
    }.items():
        assert binary in roles, f"no function with Binary {binary}"
        missing = needs - granted.get(roles[binary], set())
        assert not missing, f"{binary} ({roles[binary]}) lacks {sorted(missing)} on the audit table"
    # records-ingest files what the hospital sends: nobody's access to a patient's data, so
    # it has no business with the audit table at all.
    for binary in ("records-ingest",):
        assert binary in roles, f"no function with Binary {binary}"
        assert not granted.get(roles[binary]), (
            f"{binary} ({roles[binary]}) may {sorted(granted[roles[binary]])} on the audit table"
        )


# ------------------------------------------------------------ encryption
def test_tables_and_logs_are_encrypted_with_the_portal_key():
    """Patients' data, the audit and every log group are encrypted with the portal's own KMS key
    (rotated, kept on stack deletion); the functions may use the key only through DynamoDB."""
    template = load_template()
    res = template["Resources"]
    keys = [lid for lid, r in res.items() if r.get("Type") == "AWS::KMS::Key"]
    assert len(keys) == 1, f"expected one KMS key, found {keys}"
    key = res[keys[0]]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key.get("DeletionPolicy") == "Retain" and key.get("UpdateReplacePolicy") == "Retain"
    key_arn = {"Fn::GetAtt": [keys[0], "Arn"]}
    for lid in table_ids(template):
        assert res[lid]["Properties"]["SSESpecification"].get("KMSMasterKeyId") == key_arn, lid
    log_groups = [(lid, r["Properties"]) for lid, r in res.items() if r.get("Type") == "AWS::Logs::LogGroup"]
    assert log_groups
    for lid, p in log_groups:
        assert p.get("KmsKeyId") == key_arn, f"{lid} is not encrypted with the portal key"
        assert p.get("RetentionInDays"), f"{lid} keeps logs forever"
    for where, s in policy_statements(template):
        if any(str(a).startswith("kms:") for a in as_list(s.get("Action", []))):
            assert s.get("Resource") == key_arn, f"{where}: kms on {s.get('Resource')}"
            via = s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            assert via == {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}, f"{where}: kms not only through DynamoDB"


def test_every_checkov_skip_says_why():
    """checkov (tests/run) fails on any failed check; a check is skipped only by a
    `checkov:skip=CKV_...:reason` comment on the resource, with a real reason."""
    skips = [line.strip() for line in TEMPLATE.read_text().splitlines() if "checkov:skip" in line]
    for line in skips:
        m = re.fullmatch(r"# checkov:skip=(CKV2?_AWS_\d+):(.+)", line)
        assert m, f"not checkov's skip syntax: {line}"
        assert len(m.group(2).split()) >= 8, f"{m.group(1)}: say why it is skipped: {line}"


# ------------------------------------------------------------- operations
def alarm_metrics(props: dict[str, Any]):
    """(namespace, metric name, dimensions) of every metric an alarm reads: its own, or each
    metric of its metric math."""
    stats = [props] if "MetricName" in props else [
        m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m
    ]
    for metric in stats:
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
        yield metric["Namespace"], metric["MetricName"], dims


def test_alarms_watch_every_function_the_api_mail_and_dead_letters():
    """Issue 14: CloudWatch alarms, sent to an SNS topic whose subscriber email is a
    parameter, for the API's 5xx rate, each function's errors and throttles, SES bounce and
    complaint rates, and the dead-letter queue. The topic is encrypted with the portal key,
    and CloudWatch may publish to it and use the key (else alarms deploy and never arrive)."""
    template = load_template()
    res = template["Resources"]

    topics = [lid for lid, r in res.items() if r.get("Type") == "AWS::SNS::Topic"]
    assert len(topics) == 1, f"expected one alarm topic, found {topics}"
    topic = topics[0]
    keys = [lid for lid, r in res.items() if r.get("Type") == "AWS::KMS::Key"]
    assert res[topic]["Properties"].get("KmsMasterKeyId") == {"Fn::GetAtt": [keys[0], "Arn"]}, (
        f"{topic} must be encrypted with {keys[0]}"
    )
    emails = [
        r["Properties"] for r in res.values()
        if r.get("Type") == "AWS::SNS::Subscription" and r["Properties"].get("TopicArn") == {"Ref": topic}
    ]
    assert any(
        s.get("Protocol") == "email" and s.get("Endpoint", {}).get("Ref") in template["Parameters"] for s in emails
    ), f"{topic} needs an email subscription whose Endpoint is a template parameter"

    def allows_cloudwatch(statements, action: str) -> bool:
        return any(
            s.get("Effect") == "Allow"
            and s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"
            and any(fnmatch.fnmatchcase(action, a) for a in as_list(s["Action"]))
            for s in statements
        )

    topic_statements = [
        s for r in res.values()
        if r.get("Type") == "AWS::SNS::TopicPolicy" and {"Ref": topic} in r["Properties"]["Topics"]
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert allows_cloudwatch(topic_statements, "sns:Publish"), f"CloudWatch may not publish to {topic}"
    key_statements = res[keys[0]]["Properties"]["KeyPolicy"]["Statement"]
    for action in ("kms:Decrypt", "kms:GenerateDataKey"):
        assert allows_cloudwatch(key_statements, action), f"CloudWatch may not {action} with {keys[0]}"

    watched: dict[tuple[str, str], list[dict]] = {}
    for lid, r in res.items():
        if r.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        p = r["Properties"]
        assert {"Ref": topic} in p.get("AlarmActions", []), f"{lid} does not notify {topic}"
        assert p.get("TreatMissingData") == "notBreaching", f"{lid}: no data (no requests, no failures) must not alarm"
        for namespace, name, dims in alarm_metrics(p):
            watched.setdefault((namespace, name), []).append(dims)

    for lid, r in res.items():
        if r.get("Type") != "AWS::Serverless::Function":
            continue
        for metric in ("Errors", "Throttles"):
            assert {"FunctionName": {"Ref": lid}} in watched.get(("AWS/Lambda", metric), []), (
                f"{lid} has no alarm on its {metric}"
            )

    (api,) = [lid for lid, r in res.items() if r.get("Type") == "AWS::Serverless::HttpApi"]
    for metric in ("5xx", "Count"):
        assert {"ApiId": {"Ref": api}} in watched.get(("AWS/ApiGateway", metric), []), (
            f"no alarm reads {api}'s {metric} (the 5xx rate is 5xx / Count)"
        )
    for metric in ("Reputation.BounceRate", "Reputation.ComplaintRate"):
        assert ("AWS/SES", metric) in watched, f"no alarm on SES {metric}"

    dead_letter_queues = {
        r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for r in res.values()
        if r.get("Type") == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]
    }
    assert dead_letter_queues, "no queue has a dead-letter queue"
    for dlq in dead_letter_queues:
        assert {"QueueName": {"Fn::GetAtt": [dlq, "QueueName"]}} in watched.get(
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible"), []
        ), f"no alarm on the messages in {dlq}"
