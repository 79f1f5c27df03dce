"""Exports with proof material: the entries as hashed, the checkpoints, the public key.

JSON lines: a header line, then the checkpoints, then the entries. CSV: one row per record
with a recordType column. Both are read by `python -m audit.offline`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from audit import checkpoints, permissions, repository, service
from audit.models import AuditEntry
from core.identity.permissions import Principal
from core.types import utcnow

FORMAT = "regie-audit-export/v1"
CSV_FIELDS = ["recordType", "seq", "prevHash", "entryHash", "body", "checkpoint"]


def _records(session: Session, actor: Principal, fmt: str) -> Iterator[dict[str, Any]]:
    actor.require(permissions.READ)
    service.record_access(session, actor, action="export", what=fmt)
    session.flush()
    yield {
        "type": "header",
        "format": FORMAT,
        "tenant": str(actor.tenant_id),
        "exportedAt": utcnow().isoformat(),
        **service.public_key(),
    }
    for cp in repository.checkpoints(session):
        yield checkpoints.as_json(checkpoints.record_of(cp))
    for e in repository.iter_entries(session):
        yield entry_json(e)


def entry_json(e: AuditEntry) -> dict[str, Any]:
    """An entry as an export line, with what the offline verifier needs to check it."""
    return {
        "type": "entry",
        "seq": e.seq,
        "prevHash": e.prev_hash,
        "entryHash": e.entry_hash,
        "body": e.body,
    }


def export_jsonl(session: Session, actor: Principal) -> str:
    """The whole retained log as JSON lines (the export is itself recorded first)."""
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in _records(session, actor, "jsonl"))


def export_csv(session: Session, actor: Principal) -> str:
    """The tenant's log as CSV for spreadsheets; the JSON Lines export is the one to verify."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in _records(session, actor, "csv"):
        if r["type"] == "entry":
            row = {
                "recordType": "entry",
                "seq": r["seq"],
                "prevHash": r["prevHash"],
                "entryHash": r["entryHash"],
                "body": r["body"],
            }
        else:
            row = {"recordType": r["type"], "checkpoint": json.dumps(r, sort_keys=True)}
        writer.writerow(row)
    return out.getvalue()
