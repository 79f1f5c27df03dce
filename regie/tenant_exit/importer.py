"""`regie tenant import`: verify an export whole, then insert it in one transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, Table, or_, select, text, update

from core.settings import get_settings
from regie.migrate import alembic_config
from regie.tenant_exit import manifest
from regie.tenant_exit.export import number_sequence, scoped
from regie.tenant_exit.manifest import ExportRefused
from regie.tenant_exit.tables import decoder, is_file, tenant_table, tenant_tables

BATCH = 500


def import_tenant(engine: Engine, root: Path, public_key: str | None = None) -> dict[str, Any]:
    """Restore the exported tenant; refuses (writing nothing) a corrupt or foreign export,
    or a tenant whose id or slug this installation already has. Returns the manifest."""
    body = manifest.verify(root, public_key)
    tables = _check_contents(body)
    _check_revision(body.get("schemaRevision"))
    tenant_id = uuid.UUID(body["tenant"]["id"])
    with scoped(engine, tenant_id) as conn:
        _refuse_existing(conn, tenant_id, body["tenant"]["slug"])
        for table in tables:
            _insert(conn, table, root, tenant_id, set(body["files"]))
        _restore_numbers(conn, tenant_id, body.get("ticketNumberNext"))
    return body


def _check_contents(body: dict[str, Any]) -> list[Table]:
    """Every table in the export is known here and holds as many lines as rows counted."""
    here = {t.name: t for t in [tenant_table(), *tenant_tables()]}
    unknown = sorted(set(body["tables"]) - set(here))
    if unknown:
        raise ExportRefused(f"tables/{unknown[0]}.jsonl: no such table in this installation")
    for name, rows in body["tables"].items():
        path = f"tables/{name}.jsonl"
        if body["files"].get(path, {}).get("lines") != rows:
            raise ExportRefused(f"{path}: line count differs from the manifest's row count")
    return [t for name, t in here.items() if name in body["tables"]]


def _check_revision(revision: str | None) -> None:
    """The export's schema must be this version's or an older one."""
    script = ScriptDirectory.from_config(alembic_config(get_settings()))
    try:
        known = revision is not None and script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise ExportRefused(f"{manifest.MANIFEST}: schema {revision} is newer than this version")


def _refuse_existing(conn: Connection, tenant_id: uuid.UUID, slug: str) -> None:
    table = tenant_table()
    found = conn.execute(
        select(table.c.slug).where(or_(table.c.id == tenant_id, table.c.slug == slug))
    ).first()
    if found is not None:
        raise ExportRefused(f"tenant {found[0]!r} (or its id) already exists here")


def _insert(
    conn: Connection, table: Table, root: Path, tenant_id: uuid.UUID, listed: set[str]
) -> None:
    path = f"tables/{table.name}.jsonl"
    decode = _row_decoder(table, root, listed)
    owner = "id" if table.name == tenant_table().name else "tenant_id"
    batch: list[dict[str, Any]] = []
    with open(root / path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            row = decode(json.loads(line))
            if row.get(owner) != tenant_id:
                raise ExportRefused(f"{path}: line {number} belongs to another tenant")
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)


def _row_decoder(
    table: Table, root: Path, listed: set[str]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    decoders = {c.name: decoder(c) for c in table.columns}
    files = {c.name for c in table.columns if is_file(c)}

    def decode(data: dict[str, Any]) -> dict[str, Any]:
        row = {k: decoders[k](v) for k, v in data.items() if k in decoders}
        for name in files:
            if row.get(name) is not None:
                if row[name]["path"] not in listed:  # only files whose hash was checked
                    raise ExportRefused(f"{row[name]['path']}: not in the manifest")
                row[name] = (root / row[name]["path"]).read_bytes()
        return row

    return decode


def _restore_numbers(conn: Connection, tenant_id: uuid.UUID, following: int | None) -> None:
    """Ticket numbers continue where the exporting installation stood."""
    if following is None:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"CREATE SEQUENCE {number_sequence(tenant_id)} START {int(following)}"))
        return
    from tickets.models import TicketSettings

    settings = TicketSettings.__table__  # type: ignore[attr-defined]
    conn.execute(
        update(settings)
        .where(settings.c.tenant_id == tenant_id, settings.c.next_number < int(following))
        .values(next_number=int(following))
    )
