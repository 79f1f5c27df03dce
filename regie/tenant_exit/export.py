"""`regie tenant export`: every row of one tenant as JSON Lines, with a signed manifest."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, Table, select, text

from audit import checkpoints
from core.types import utcnow
from regie.tenant_exit import manifest, registers, schema
from regie.tenant_exit.tables import (
    TENANT_TABLE,
    file_name,
    is_file,
    json_value,
    tenant_table,
    tenant_tables,
)

BATCH = 1000
AUDIT_FORMAT = "regie-audit-export/v1"


class ExportFailed(Exception):
    """The tenant does not exist or the directory is not empty."""


@contextmanager
def scoped(
    engine: Engine, tenant_id: uuid.UUID, *, read_only: bool = False
) -> Iterator[Connection]:
    """One transaction that row-level security lets see and write `tenant_id`'s rows (a
    reader on SQLite takes no write lock)."""
    if read_only:
        # One snapshot for the whole export: rows written meanwhile are all in or all out.
        level = "REPEATABLE READ" if engine.dialect.name == "postgresql" else None
        engine = engine.execution_options(sqlite_begin="DEFERRED")
        if level:
            engine = engine.execution_options(isolation_level=level)
    with engine.begin() as conn:
        set_tenant(conn, tenant_id)
        yield conn


def set_tenant(conn: Connection, tenant_id: uuid.UUID) -> None:
    """Row-level security lets a raw connection see the tenant's rows only once this is set."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant_id)})


def find_tenant(conn: Connection, slug: str) -> dict[str, Any]:
    """The tenant's own row, by the slug operators know it by; ExportFailed when unknown."""
    table = tenant_table()
    row = conn.execute(select(table).where(table.c.slug == slug)).mappings().first()
    if row is None:
        raise ExportFailed(f"no tenant {slug!r}")
    return dict(row)


def stream(conn: Connection, table: Table, tenant_id: uuid.UUID) -> Iterator[dict[str, Any]]:
    """The tenant's rows in primary-key order, fetched in batches (a server-side cursor on
    PostgreSQL), never the table whole."""
    stmt = select(table).order_by(*table.primary_key.columns)
    if table.name != TENANT_TABLE:
        stmt = stmt.where(table.c.tenant_id == tenant_id)
    else:
        stmt = stmt.where(table.c.id == tenant_id)
    result = conn.execution_options(yield_per=BATCH).execute(stmt)
    for row in result.mappings():
        yield dict(row)


def export_tenant(
    engine: Engine, slug: str, out: Path, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Write the export into `out` (new or empty); returns the manifest. `progress` hears
    how many tables are written."""
    if out.exists() and any(out.iterdir()):
        raise ExportFailed(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    with engine.connect() as lookup:
        tenant = find_tenant(lookup, slug)
    files: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    with scoped(engine, tenant["id"], read_only=True) as conn:
        for table in [tenant_table(), *tenant_tables()]:
            counts[table.name] = _write_table(conn, table, tenant["id"], out, files)
            if progress is not None:
                progress(len(counts))
        files.update(_write_audit_log(conn, tenant["id"], out))
        files.update(registers.write(conn, tenant["id"], out, stream))
        body = {
            "format": manifest.FORMAT,
            "tenant": {"id": str(tenant["id"]), "slug": tenant["slug"], "name": tenant["name"]},
            "exportedAt": utcnow().isoformat(),
            "schemaRevision": MigrationContext.configure(conn).get_current_revision(),
            "ticketNumberNext": ticket_number_next(conn, tenant["id"]),
            "tables": counts,
        }
    doc = manifest.HashedFile(out, schema.FILE)
    doc.write(schema.describe(counts).encode())
    files[schema.FILE] = doc.close()
    manifest.write_signed(out, {**body, "files": files})
    return {**body, "files": files}


def _write_table(
    conn: Connection, table: Table, tenant_id: uuid.UUID, out: Path, files: dict[str, Any]
) -> int:
    path = f"tables/{table.name}.jsonl"
    lines = manifest.HashedFile(out, path)
    binary = [c for c in table.columns if is_file(c)]
    count = 0
    for row in stream(conn, table, tenant_id):
        for column in binary:
            if row[column.name] is not None:
                row[column.name] = _write_file(out, file_name(table, row), row[column.name], files)
        data = {k: json_value(v) for k, v in row.items()}
        lines.write((json.dumps(data, ensure_ascii=False) + "\n").encode())
        count += 1
    files[path] = {**lines.close(), "table": table.name}
    return count


def _write_file(out: Path, path: str, data: bytes, files: dict[str, Any]) -> dict[str, str]:
    """An attachment (or other stored file) as a file of its own, named in its row."""
    f = manifest.HashedFile(out, path, binary=True)
    f.write(data)
    files[path] = f.close()
    return {"path": path, "sha256": files[path]["sha256"]}


def _write_audit_log(conn: Connection, tenant_id: uuid.UUID, out: Path) -> dict[str, Any]:
    """The log again in the audit export format, which `python -m audit.offline` verifies."""
    from audit.export import entry_json
    from audit.models import AuditCheckpoint, AuditEntry
    from audit.service import public_key

    path = "audit/log.jsonl"
    f = manifest.HashedFile(out, path)

    def line(record: dict[str, Any]) -> None:
        f.write((json.dumps(record, sort_keys=True) + "\n").encode())

    line({"type": "header", "format": AUDIT_FORMAT, "tenant": str(tenant_id), **public_key()})
    for row in stream(conn, AuditCheckpoint.__table__, tenant_id):  # type: ignore[attr-defined]
        line(checkpoints.as_json(checkpoints.record_of(AuditCheckpoint(**row))))
    for row in stream(conn, AuditEntry.__table__, tenant_id):  # type: ignore[attr-defined]
        line(entry_json(AuditEntry(**row)))
    return {path: f.close()}


def ticket_number_next(conn: Connection, tenant_id: uuid.UUID) -> int | None:
    """On PostgreSQL ticket numbers come from a per-tenant sequence outside the tables."""
    if conn.dialect.name != "postgresql":
        return None
    name = number_sequence(tenant_id)
    if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is None:
        return None
    last, called = conn.execute(text(f"SELECT last_value, is_called FROM {name}")).one()  # noqa: S608
    return int(last) + 1 if called else int(last)


def number_sequence(tenant_id: uuid.UUID) -> str:
    """The name of the PostgreSQL sequence that numbers the tenant's tickets, kept per tenant."""
    return "tickets_number_" + str(tenant_id).replace("-", "")
