"""moto's server, answering one request at a time: `python moto_serial.py HOST PORT`.

moto_server handles requests on threads and does not lock its tables, so the condition
check and the writes of one TransactWriteItems can interleave with another's. DynamoDB's
transactions are atomic, and the portal relies on that (one own account per patient, one
MRN per clinic), so the suite's DynamoDB emulator serves requests one by one."""

import copy
import sys
from collections import defaultdict

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class _TableBackup:
    """moto backs up every table a TransactWriteItems names with `copy.deepcopy`, to roll
    back a refused transaction. That copies every item of the table for each transaction:
    the time grows with the table, and the copies fragment the heap until the emulator
    holds gigabytes and the kernel kills it part-way through the suite. The portal's
    transactions only put and delete whole items (no UpdateItem), which replace an item
    rather than change it, so a copy of the table's key maps is a complete backup."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            backup = copy.copy(value)
            backup.items = defaultdict(dict, {h: dict(r) if isinstance(r, dict) else r for h, r in value.items.items()})
            return backup
        return copy.deepcopy(value, memo)


dynamodb_models.copy = _TableBackup

if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)
