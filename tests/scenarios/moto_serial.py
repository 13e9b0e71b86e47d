"""moto's server, answering one request at a time: `python moto_serial.py HOST PORT`.

moto_server handles requests on threads and does not lock its tables, so the condition
check and the writes of one TransactWriteItems can interleave with another's. DynamoDB's
transactions are atomic, and the portal relies on that (one own account per patient, one
MRN per clinic), so the suite's DynamoDB emulator serves requests one by one.

Two of moto's costs grow with the whole table, and the suite fills it with thousands of
items: a transaction's backup and a Query's look-up. Both are replaced below by ones that
touch only the items concerned, with the same results."""

import copy
import sys

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class _NoTableCopy:
    """moto backs up every table a TransactWriteItems names with `copy.deepcopy`, to roll
    back a refused transaction. That copies every item of the table for each transaction:
    the time grows with the table, and the copies fragment the heap until the emulator
    holds gigabytes and the kernel kills it part-way through the suite. Tables are not
    copied here; `_transact_write_items` keeps the items the transaction names instead."""

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _slot(table: Table, op: dict):
    """The hash and range key values of the item an operation writes."""
    attrs = op.get("Item") or op.get("Key") or {}
    if table.hash_key_attr not in attrs:
        return None
    hash_value = DynamoType(attrs[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_value, None
    if table.range_key_attr not in attrs:
        return None
    return hash_value, DynamoType(attrs[table.range_key_attr])


def _restore(table: Table, hash_value, range_value, before) -> None:
    """Puts back what the slot held before the transaction (nothing, or that item)."""
    where, key = (table.items, hash_value) if range_value is None else (table.items[hash_value], range_value)
    if before is None:
        where.pop(key, None)
    else:
        where[key] = before


_moto_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    """moto's transaction, rolled back from a copy of the items it names, taken before."""
    journal = []
    for item in transact_items:
        if not isinstance(item, dict) or len(item) != 1:
            continue
        op_type, op = next(iter(item.items()))
        table = self.tables.get(op.get("TableName")) if op_type in ("Put", "Delete", "Update") else None
        slot = table is not None and _slot(table, op)
        if slot:
            journal.append((table, *slot, copy.deepcopy(table.get_item(*slot))))
    try:
        _moto_transact_write_items(self, transact_items)
    except BaseException:
        for table, hash_value, range_value, before in reversed(journal):
            _restore(table, hash_value, range_value, before)
        raise


_moto_query = Table.query
_moto_all_items = Table.all_items


def _query(self, hash_key, *args, **kwargs):
    """moto's Query of the table (not an index) lists, sorts and compares every item of the
    table to find one partition's, so each Query took time in proportion to the whole
    table and the suite slowed as it filled it. Here it is given that partition alone."""
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    self._partition = hash_key if index_name is None else None
    try:
        return _moto_query(self, hash_key, *args, **kwargs)
    finally:
        self._partition = None


def _all_items(self):
    """The partition a Query of the table asks for (sorted by range key, as moto sorts the
    whole table), or every item."""
    partition = getattr(self, "_partition", None)
    if partition is None:
        return _moto_all_items(self)
    items = self.items.get(partition)
    if items is None:
        return []
    return sorted(items.values(), key=lambda x: x.range_key) if self.range_key_attr else [items]


dynamodb_models.copy = _NoTableCopy
DynamoDBBackend.transact_write_items = _transact_write_items
Table.query = _query
Table.all_items = _all_items

if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)
