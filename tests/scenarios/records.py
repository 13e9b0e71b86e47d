"""What a portal wrote outside its API, read straight from where it lies: its data directory,
its audit store (embedded: audit.json; aws: the DynamoDB table at moto), and its JSON log."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path

from settings import AUDIT_TABLE


class RecordReading:
    """`Portal`'s reading of its own data. Uses the portal's `backend`, `log_path`, `moto_url`
    and `dynamodb_url`."""

    @property
    def data_dir(self) -> Path:
        """The portal's PORTAL_DATA_DIR (Servers puts it beside the log)."""
        return self.log_path.parent / f"data-{self.backend}"

    def audit_records(self, patient_id: str) -> list[dict]:
        """The patient's audit records read straight from the audit store (not through the API):
        embedded, <data dir>/audit.json; aws, the DynamoDB table portal-audit at moto."""
        pk = f"AUDIT#{patient_id}"
        if self.moto_url is None:
            path = self.data_dir / "audit.json"
            if not path.exists():
                return []
            items = jsonlib.loads(path.read_text())
            return sorted((i for i in items if i.get("pk") == pk), key=lambda i: i["sk"])
        import boto3
        from boto3.dynamodb.conditions import Key as DynamoKey

        if getattr(self, "_audit_table", None) is None:
            self._audit_table = boto3.resource(
                "dynamodb", endpoint_url=self.dynamodb_url, region_name="us-east-1",
                aws_access_key_id="test", aws_secret_access_key="test",
            ).Table(AUDIT_TABLE)
        items, start = [], None
        while True:
            kw = {"KeyConditionExpression": DynamoKey("pk").eq(pk), "ConsistentRead": True}
            if start:
                kw["ExclusiveStartKey"] = start
            page = self._audit_table.query(**kw)
            items += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def log_offset(self) -> int:
        """Where the server log ends now; `log_lines(since=...)` reads what came after."""
        return self.log_path.stat().st_size

    def log_lines(self, since: int = 0) -> list[dict]:
        """The JSON log lines written since the offset, the fields of each flattened into it."""
        with open(self.log_path, "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        return parse_log_lines(text)


def parse_log_lines(text: str) -> list[dict]:
    """Each JSON line of a log as a dict, with tracing's "fields" merged into the top level."""
    out = []
    for line in text.splitlines():
        try:
            obj = jsonlib.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            fields = obj.pop("fields", None)
            if isinstance(fields, dict):
                obj.update(fields)
            out.append(obj)
    return out
