"""moto's server, answering one request at a time: `python moto_serial.py HOST PORT`.

moto_server handles requests on threads and does not lock its tables, so the condition
check and the writes of one TransactWriteItems can interleave with another's. DynamoDB's
transactions are atomic, and the portal relies on that (one own account per patient, one
MRN per clinic), so the suite's DynamoDB emulator serves requests one by one."""

import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)
