"""moto's server for Cognito and SES, with one route more for the suite:
`python moto_mail.py HOST PORT`.

`GET /_suite/ses-sent?after=N` lists what SES sent (every account and region the run used,
in send order) from the Nth message on, as JSON: `{"count": total, "messages": [...]}`, each
message `{"kind": "Message", "destinations", "subject", "body"}` or
`{"kind": "RawMessage", "destinations", "raw_data"}`. The suite polls for mail after every
step that sends some; moto's own `/moto-api/data.json` renders every model it holds, every
Cognito user among them, so each poll grew slower as the run went on."""

import json
import sys
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.ses.models import RawMessage, ses_backends
from werkzeug.serving import run_simple

SENT = "/_suite/ses-sent"


def _sent() -> list:
    # Only the backends moto has made (an account and region that sent or verified mail).
    return [m for account in list(ses_backends.values()) for backend in list(account.values()) for m in backend.sent_messages]


def _as_json(message) -> dict:
    if isinstance(message, RawMessage):
        return {"kind": "RawMessage", "destinations": message.destinations, "raw_data": message.raw_data}
    return {"kind": "Message", "destinations": getattr(message, "destinations", {}),
            "subject": getattr(message, "subject", ""), "body": getattr(message, "body", "")}


def with_sent_mail(moto):
    def app(environ, start_response):
        if environ.get("PATH_INFO") != SENT:
            return moto(environ, start_response)
        after = int(parse_qs(environ.get("QUERY_STRING", "")).get("after", ["0"])[0])
        sent = _sent()
        body = json.dumps({"count": len(sent), "messages": [_as_json(m) for m in sent[after:]]}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    return app


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    app = with_sent_mail(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)
