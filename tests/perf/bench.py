"""The benchmark of issue 14 (run by tests/perf/run, which builds what this measures).

Each function's release binary runs against a local Lambda Runtime API, the way Lambda runs
it, alternating with the bare `lambda_http` function (tests/perf/bare) so that load on the
machine falls on both alike. Per run: cold start (spawn to the first answer), then warm
invocations on the same process (the `next` handing out the event to the answer), then
peak RSS. Every answer is checked, so a crashed or mis-wired function never counts as fast.
Standard library only.
"""

import http.server
import json
import math
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = ROOT / "target" / "perf" / "x86_64"
ZIP_DIR = ROOT / "target" / "lambda"
OUT_DIR = ROOT / "target" / "perf"
ALL = "auth,accounts,profile,records,appointments,messages,clinics,web,records-ingest"
BARE = "bare"
# An answer slower than this is a hung function, not a slow one.
ANSWER_TIMEOUT_S = 10


def api_event(path, authorized=True):
    """One of the function's own events (events/), without the authorizer's claims when
    `authorized` is false: the handler then answers 401 before it reads anything."""
    event = json.loads((ROOT / "events" / path).read_text())
    if not authorized:
        event["requestContext"].pop("authorizer", None)
    return event


def ingest_answer_ok(body):
    return body == {"batchItemFailures": []}


def status_is(code):
    return lambda body: isinstance(body, dict) and body.get("statusCode") == code


# What each function is sent, and the answer it must give: routes that answer before any
# AWS call (checked in each function's code), so no network is needed.
CASES = {
    # A public route answered from constants.
    "auth": (lambda: api_event("auth/security-questions.json"), status_is(200)),
    # Jwt routes: `Caller::from_request` refuses a request without claims first of all.
    "accounts": (lambda: api_event("accounts/find-account.json", False), status_is(401)),
    "profile": (lambda: api_event("profile/get-demographics.json", False), status_is(401)),
    "records": (lambda: api_event("records/results.json", False), status_is(401)),
    "appointments": (lambda: api_event("appointments/visits.json", False), status_is(401)),
    "messages": (lambda: api_event("messages/conversations.json", False), status_is(401)),
    "clinics": (lambda: api_event("clinics/list.json"), status_is(200)),
    "web": (lambda: api_event("web/page.json"), status_is(200)),
    # Every message that holds a body is filed or recorded as an import in DynamoDB, so
    # the cheapest answer without AWS is an empty batch: the runtime, the event's parsing
    # and the SDK clients' set-up at cold start, no handler work.
    "records-ingest": (lambda: {"Records": []}, ingest_answer_ok),
    BARE: (lambda: api_event("clinics/list.json"), status_is(200)),
}


class Invocation:
    def __init__(self, payload):
        self.id = str(uuid.uuid4())
        self.payload = payload
        self.handed_at = None
        self.answered_at = None
        self.kind = None  # "response" or "error", as the function posted it
        self.body = None
        self.done = threading.Event()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A killed function resets the connection it was waiting on: that is how a run
        ends, not an error. Anything else is."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RuntimeApi:
    """Lambda's Runtime API (2018-06-01) on 127.0.0.1, for one function process. Times are
    taken here, on the server's side, with the monotonic clock."""

    def __init__(self, function_name):
        self.arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.pending = queue.Queue()
        self.by_id = {}
        self.init_error = None
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # Keep-alive, as Lambda's API: the runtime's client reuses its connection.
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes: with Nagle's algorithm the body
            # would wait for the client's delayed ACK, 40 ms on every answer.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def answer(self, status, body=b"", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self.answer(404)
                inv = api.pending.get()
                if inv is None:  # the run is over and its process killed: nobody to answer
                    self.close_connection = True
                    return
                body = json.dumps(inv.payload).encode()
                deadline = int(time.time() * 1000) + ANSWER_TIMEOUT_S * 1000
                inv.handed_at = time.monotonic_ns()
                self.answer(200, body, [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", inv.id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", api.arn),
                    ("Lambda-Runtime-Trace-Id", f"Root=1-{int(time.time()):08x}-{inv.id.replace('-', '')[:24]};Sampled=0"),
                ])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.monotonic_ns()
                if self.path == "/2018-06-01/runtime/init/error":
                    api.init_error = body.decode(errors="replace")
                    return self.answer(202)
                m = re.fullmatch(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)", self.path)
                inv = api.by_id.get(m.group(1)) if m else None
                if inv is None:
                    return self.answer(404)
                inv.answered_at, inv.kind, inv.body = now, m.group(2), body
                self.answer(202)
                inv.done.set()

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def submit(self, payload):
        inv = Invocation(payload)
        self.by_id[inv.id] = inv
        self.pending.put(inv)
        return inv

    def close(self):
        self.pending.put(None)
        self.server.shutdown()
        self.server.server_close()


def template_settings(function):
    """The variables infra/template.yaml gives `function` (Globals', then its own), with a
    made-up value for each reference (the names are what `AwsSettings::from_env` reads), and
    its MemorySize."""
    lines = (ROOT / "infra" / "template.yaml").read_text().splitlines()

    def indent(line):
        return len(line) - len(line.lstrip())

    def block(body, start):
        """The lines indented under body[start]."""
        end = next((i for i in range(start + 1, len(body)) if body[i].strip() and indent(body[i]) <= indent(body[start])), len(body))
        return body[start + 1:end]

    def settings(body):
        variables, memory = {}, None
        for i, line in enumerate(body):
            if line.strip() == "Variables:":
                for var in block(body, i):
                    if not var.strip() or var.strip().startswith("#"):
                        continue
                    name, _, value = var.strip().partition(":")
                    value = value.strip()
                    variables[name] = made_up.get(name, f"perf-{name.lower()}") if value.startswith("!") else value.strip("'\"")
            m = re.match(r"^\s+MemorySize:\s*(\d+)\s*$", line)
            if m:
                memory = m.group(1)
        return variables, memory

    made_up = {
        "PORTAL_URL": "https://portal.example.org",
        "PORTAL_MAIL_FROM": "portal@example.org",
        "PORTAL_MRN_SYSTEM": "urn:oid:2.16.840.1.113883.19.5",
        "PORTAL_USER_POOL_ID": "us-east-1_perf00000",
    }
    variables, memory = settings(block(lines, lines.index("Globals:")))
    binary = lines.index(f"        Binary: {function}")
    resource = max(i for i in range(binary) if re.match(r"^  [A-Za-z0-9]+:\s*$", lines[i]))
    own_variables, own_memory = settings(block(lines, resource))
    return {**variables, **own_variables}, own_memory or memory


def lambda_environment(function, address):
    """A clean environment like Lambda's for a provided.al2023 function, plus fake keys and
    an endpoint on a closed loopback port, so that a stray AWS call fails here instead of
    leaving the machine."""
    name = f"portal-{function}"
    env = {
        "AWS_LAMBDA_RUNTIME_API": address,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]perf",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAPERFEXAMPLE00000",
        "AWS_SECRET_ACCESS_KEY": "perf/secret/example/0000000000000000000000",
        "AWS_SESSION_TOKEN": "perf-session-token",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
        "_HANDLER": "bootstrap",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    if function == BARE:
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "128"
    else:
        variables, memory = template_settings(function)
        env.update(variables)
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = memory or "128"
    return env


class Failed(Exception):
    pass


def wait_answer(inv, proc, api, log):
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not inv.done.wait(0.05):
        if api.init_error is not None:
            raise Failed(f"init error: {api.init_error} (log: {log})")
        if proc.poll() is not None:
            raise Failed(f"exited with {proc.returncode} before answering (log: {log})")
        if time.monotonic() > deadline:
            raise Failed(f"no answer in {ANSWER_TIMEOUT_S} s (log: {log})")


def check(function, inv, expected, log):
    try:
        body = json.loads(inv.body)
    except ValueError:
        body = None
    if inv.kind != "response" or not expected(body):
        raise Failed(f"{function}: unexpected {inv.kind}: {inv.body[:300]!r} (log: {log})")


def percentile(values, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def one_run(function, warm):
    """Spawn, answer one cold and `warm` warm invocations, read VmHWM, kill. Milliseconds
    and MiB."""
    make_event, expected = CASES[function]
    event = make_event()
    binary = BIN_DIR / function / "bootstrap"
    log = OUT_DIR / "logs" / f"{function}.log"
    api = RuntimeApi(f"portal-{function}")
    env = lambda_environment(function, api.address)
    first = api.submit(event)  # waiting before the spawn: the cold start is init alone
    with open(log, "ab") as out:
        start = time.monotonic_ns()
        proc = subprocess.Popen([str(binary)], env=env, cwd=binary.parent, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    try:
        wait_answer(first, proc, api, log)
        check(function, first, expected, log)
        cold = (first.answered_at - start) / 1e6
        times = []
        for _ in range(warm):
            inv = api.submit(event)
            wait_answer(inv, proc, api, log)
            check(function, inv, expected, log)
            times.append((inv.answered_at - inv.handed_at) / 1e6)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024
    finally:
        proc.kill()
        proc.wait()
        api.close()
    return {"cold": cold, "p50": statistics.median(times), "p99": percentile(times, 99), "rss": rss}


def zip_mb(function):
    if os.environ.get("PERF_SKIP_ZIP") == "1":
        return "skipped"
    path = ZIP_DIR / function / "bootstrap.zip"
    return f"{path.stat().st_size / 1e6:.2f}" if path.exists() else "missing"


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
    return [
        f"date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu}",
        f"load average at start (1 min): {os.getloadavg()[0]:.2f}",
    ]


def main():
    functions = [f.strip() for f in os.environ.get("PERF_FUNCTIONS", ALL).split(",") if f.strip()]
    unknown = [f for f in functions if f not in CASES or f == BARE]
    if unknown:
        sys.exit(f"bench: unknown functions {unknown}; known: {ALL}")
    pairs = int(os.environ.get("PERF_PAIRS", "10"))
    warm = int(os.environ.get("PERF_WARM", "200"))
    (OUT_DIR / "logs").mkdir(parents=True, exist_ok=True)
    for old in (OUT_DIR / "logs").glob("*.log"):  # each run's logs are its own
        old.unlink()
    header = machine() + [
        f"{pairs} pairs (function, bare) alternating, {warm} warm invocations a run; medians over the pairs; "
        "cold = spawn to first answer; warm = `next` handing out the event to the answer; "
        "RSS = VmHWM after the warm runs; zips: arm64, 1 MB = 10^6 bytes",
    ]
    print("\n".join(header), flush=True)

    runs = {}  # function -> its runs; bare -> its runs paired with each function
    try:
        for function in functions:
            for _ in range(pairs):
                runs.setdefault(function, []).append(one_run(function, warm))
                runs.setdefault((BARE, function), []).append(one_run(BARE, warm))
            print(f"measured {function}", file=sys.stderr, flush=True)
    except Failed as why:
        sys.exit(f"bench: {why}")

    def med(rs, key):
        return statistics.median(r[key] for r in rs)

    all_bare = [r for f in functions for r in runs[(BARE, f)]]
    rows = [(f, runs[f]) for f in functions] + [(BARE, all_bare)]
    table = [
        "| function | cold ms (median) | warm p50 ms | warm p99 ms | peak RSS MiB | arm64 zip MB |",
        "|---|---|---|---|---|---|",
    ]
    for name, rs in rows:
        table.append(f"| {name} | {med(rs, 'cold'):.2f} | {med(rs, 'p50'):.3f} | {med(rs, 'p99'):.3f} | {med(rs, 'rss'):.1f} | {zip_mb(name)} |")
    # Against the bare runs of the same pairs, which met the same load on the machine.
    ratios = [
        f"ratio {f} cold {med(runs[f], 'cold') / med(runs[(BARE, f)], 'cold'):.2f}x  "
        f"rss {med(runs[f], 'rss') / med(runs[(BARE, f)], 'rss'):.2f}x"
        for f in functions
    ]
    report = "\n".join(table + [""] + ratios)
    print("\n" + report)
    (OUT_DIR / "latest.md").write_text("\n".join(["# Benchmark (tests/perf/run)", ""] + [f"- {h}" for h in header] + ["", report, ""]))


if __name__ == "__main__":
    main()
