"""All SQL of the audit log. Reads go through the tenant-scoped session; appends run on the
flushing session's connection, inside the transaction of the change they record."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, text, update
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, col, select

from audit.chain import GENESIS
from audit.models import SEVEN_YEARS_DAYS, AuditCheckpoint, AuditEntry, AuditHead
from core.api.pagination import keyset

_head = AuditHead.__table__  # type: ignore[attr-defined]
_entry = AuditEntry.__table__  # type: ignore[attr-defined]


def lock_head(conn: Connection, tenant_id: uuid.UUID) -> tuple[int, str]:
    """The tenant's (size, last hash), its row locked until the transaction ends.

    Only this tenant's writers queue on the row; other tenants never wait for it. On
    PostgreSQL the owner's function locks it: the app role holds no right on the head."""
    if conn.dialect.name == "postgresql":
        found = conn.execute(
            text("SELECT size, last_hash FROM audit_lock_head(:t)"), {"t": tenant_id}
        )
        size, last_hash = found.one()
        return int(size), str(last_hash)
    stmt = (
        select(_head.c.size, _head.c.last_hash)
        .where(_head.c.tenant_id == tenant_id)
        .with_for_update()
    )
    row = conn.execute(stmt).first()
    if row is None:  # the tenant's first entry; a concurrent first writer is no error
        values = {"size": 0, "last_hash": GENESIS, "retention_days": SEVEN_YEARS_DAYS}
        conn.execute(
            sqlite.insert(_head).values(tenant_id=tenant_id, **values).on_conflict_do_nothing()
        )
        row = conn.execute(stmt).one()
    return row[0], row[1]


# Sent on every write: built once, so SQLAlchemy keeps its cache key.
_APPEND = text("SELECT audit_append(:t, CAST(:rows AS jsonb))")


def append_in_database(conn: Connection, tenant_id: uuid.UUID, drafts: list[dict[str, Any]]) -> int:
    """Have PostgreSQL number, chain and insert the entries and move the head; the new size."""
    rows = [{**d, "occurred_at": d["occurred_at"].isoformat()} for d in drafts]
    return int(conn.execute(_APPEND, {"t": tenant_id, "rows": json.dumps(rows)}).scalar_one())


def append(conn: Connection, tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Insert the chained entries and move the head past them (SQLite)."""
    moved = (
        update(_head)
        .where(_head.c.tenant_id == tenant_id)
        .values(size=rows[-1]["seq"], last_hash=rows[-1]["entry_hash"])
    )
    # executemany: one cached statement, batched by the driver. A multi-row VALUES built per
    # commit was compiled afresh every time (its shape changes with the row count), which
    # cost more than the round trip it saved.
    conn.execute(insert(_entry), rows)
    conn.execute(moved)


def head(session: Session) -> AuditHead | None:
    """The tenant's log size, last hash and retention: the next entry extends the chain from it."""
    return session.exec(select(AuditHead)).first()


def get_entry(session: Session, seq: int) -> AuditEntry | None:
    """One entry of the tenant by its sequence number."""
    return session.exec(select(AuditEntry).where(AuditEntry.seq == seq)).first()


def page(
    session: Session,
    *,
    filters: dict[str, Any],
    limit: int,
    descending: bool,
    after: int | None,
) -> list[AuditEntry]:
    """A page of entries by the filters, by sequence number either way."""
    stmt = _filtered(select(AuditEntry), filters)
    seq = col(AuditEntry.seq)
    stmt = keyset(
        stmt, seq, seq, descending=descending, after=None if after is None else [after, after]
    )
    return list(session.exec(stmt.limit(limit)))


def _filtered(stmt: Any, filters: dict[str, Any]) -> Any:
    for name in ("entity_type", "entity_id", "actor_id", "action"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(AuditEntry, name) == filters[name])
    if filters.get("seq_after") is not None:
        stmt = stmt.where(col(AuditEntry.seq) > filters["seq_after"])
    if filters.get("since") is not None:
        stmt = stmt.where(col(AuditEntry.occurred_at) >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(col(AuditEntry.occurred_at) < filters["until"])
    return stmt


def first_entry(session: Session, filters: dict[str, Any]) -> AuditEntry | None:
    """The earliest entry matching `filters` (as page() takes them)."""
    stmt = _filtered(select(AuditEntry), filters).order_by(col(AuditEntry.seq)).limit(1)
    return session.exec(stmt).first()


def iter_entries(session: Session, filters: dict[str, Any] | None = None) -> Iterator[AuditEntry]:
    """Every entry in sequence order, streamed."""
    stmt = _filtered(select(AuditEntry), filters or {}).order_by(col(AuditEntry.seq))
    yield from session.exec(stmt.execution_options(yield_per=2000))


STREAM_BATCH = 10_000
# What verification reads: the chained fields, then the columns that repeat body fields.
_VERIFIED = (
    "seq",
    "prev_hash",
    "entry_hash",
    "body",
    "occurred_at",
    "action",
    "entity_type",
    "entity_id",
    "actor_kind",
    "actor_id",
)
_VERIFIED_SQL = (
    f"SELECT {', '.join(_VERIFIED)} FROM audit_entry"  # noqa: S608 - constant names
    " WHERE tenant_id = %s ORDER BY seq"
)


def verified_batches(session: Session, tenant_id: uuid.UUID) -> Iterator[list[tuple[Any, ...]]]:
    """The tenant's entries in sequence order as plain tuples, in batches, with the body as
    its stored bytes: no ORM objects and no decoding, so the verifier can hash them at once.

    On PostgreSQL a server-side cursor in binary format reads them straight from the driver."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        stmt = select(*(_entry.c[name] for name in _VERIFIED))
        stmt = stmt.where(_entry.c.tenant_id == tenant_id).order_by(_entry.c.seq)
        result = conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for rows in result.partitions():
            yield [(r[0], r[1], r[2], r[3].encode(), *r[4:]) for r in rows]
        return
    from psycopg.types.string import ByteaBinaryLoader

    raw = conn.connection.driver_connection
    cursor = raw.cursor(name="audit_verify", binary=True)  # type: ignore[union-attr]
    cursor.adapters.register_loader("text", ByteaBinaryLoader)  # the text's UTF-8 bytes
    try:
        cursor.execute(_VERIFIED_SQL, (tenant_id,))
        while rows := cursor.fetchmany(STREAM_BATCH):
            yield rows
    finally:
        cursor.close()


def entry_hashes(session: Session, *, after: int, upto: int) -> list[str]:
    """Entry hashes with after < seq <= upto, in order."""
    stmt = (
        select(AuditEntry.entry_hash)
        .where(col(AuditEntry.seq) > after, col(AuditEntry.seq) <= upto)
        .order_by(col(AuditEntry.seq))
    )
    return list(session.exec(stmt))


def first_seq(session: Session) -> int | None:
    """The oldest entry still kept: retention may have pruned those before it."""
    return session.exec(select(func.min(AuditEntry.seq))).one()


def last_seq_before(session: Session, moment: datetime) -> int | None:
    """The last entry written before `moment`, where pruning stops."""
    stmt = select(func.max(AuditEntry.seq)).where(col(AuditEntry.occurred_at) < moment)
    return session.exec(stmt).one()


def checkpoints(session: Session) -> list[AuditCheckpoint]:
    """Every checkpoint of the tenant, oldest first, to verify the log against."""
    return list(session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.tree_size))))


def checkpoint_at(session: Session, size: int) -> AuditCheckpoint | None:
    """The checkpoint made at one tree size, for a consistency proof."""
    stmt = select(AuditCheckpoint).where(AuditCheckpoint.tree_size == size)
    return session.exec(stmt).first()


def latest_checkpoint(session: Session, *, upto: int | None = None) -> AuditCheckpoint | None:
    """The newest checkpoint, or the newest at or below `upto`."""
    stmt = select(AuditCheckpoint)
    if upto is not None:
        stmt = stmt.where(col(AuditCheckpoint.tree_size) <= upto)
    return session.exec(stmt.order_by(col(AuditCheckpoint.tree_size).desc()).limit(1)).first()


def checkpoint_page(
    session: Session, *, limit: int, descending: bool, after: int | None
) -> list[AuditCheckpoint]:
    """A page of checkpoints by tree size."""
    size = col(AuditCheckpoint.tree_size)
    stmt = keyset(
        select(AuditCheckpoint),
        size,
        size,
        descending=descending,
        after=None if after is None else [after, after],
    )
    return list(session.exec(stmt.limit(limit)))


def delete_through(session: Session, tenant_id: uuid.UUID, seq: int) -> int:
    """Delete entries up to `seq`. On PostgreSQL only the owner's security-definer function
    may, and it re-checks the retention floor and the anchoring checkpoint itself."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        stmt = text("SELECT audit_prune(:tenant, :seq)")
        return int(conn.execute(stmt, {"tenant": tenant_id, "seq": seq}).scalar_one())
    result = conn.execute(
        _entry.delete().where(_entry.c.tenant_id == tenant_id, _entry.c.seq <= seq)
    )
    return int(result.rowcount)


def set_retention(session: Session, tenant_id: uuid.UUID, days: int) -> None:
    """Store the retention; on PostgreSQL through the function allowed to change the head."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT audit_set_retention(:t, :d)"), {"t": tenant_id, "d": days})
        return
    lock_head(conn, tenant_id)
    conn.execute(update(_head).where(_head.c.tenant_id == tenant_id).values(retention_days=days))
