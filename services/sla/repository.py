"""All SQL of service level management. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, exists, func, insert, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from core.db import session_tenant
from core.rows import OneRow
from core.types import utcnow
from services.sla.models import Agreement, BreachWarning, Clock


def agreement(session: Session, agreement_id: uuid.UUID) -> Agreement | None:
    """One agreement version of the tenant."""
    return session.exec(select(Agreement).where(Agreement.id == agreement_id)).first()


def agreements(session: Session) -> list[Agreement]:
    """Every version, newest (highest number) first."""
    return list(session.exec(select(Agreement).order_by(col(Agreement.number).desc())))


_agreement = Agreement.__table__  # type: ignore[attr-defined]
# Built once, on the table, the tenant named (row-level security holds it too on PostgreSQL):
# every ticket write asks for the version in effect, and through the ORM (the tenant criteria
# added per query, the entity loaded, its terms decoded and tracked) it cost 2-3 times the
# read of its id (bench/README.md).
_IN_EFFECT = OneRow(
    select_columns(_agreement.c.id)
    .where(
        _agreement.c.tenant_id == bindparam("tenant"),
        _agreement.c.effective_from <= bindparam("day"),
    )
    .order_by(_agreement.c.effective_from.desc(), _agreement.c.number.desc())
    .limit(1)
)
_VERSION = select_columns(_agreement).where(
    _agreement.c.tenant_id == bindparam("tenant"), _agreement.c.id == bindparam("id")
)
# Versions read, by tenant and id: a version is never updated (a change of terms is a new
# version), so what an id names stays what it was read as, in every process.
_versions: dict[tuple[uuid.UUID | None, uuid.UUID], Agreement] = {}
_KEPT = 1024


def in_effect(session: Session, day: date) -> Agreement | None:
    """The version in effect on `day`: the latest date not after it, then the highest number.

    Read on the session's connection, which flushes nothing: a version is flushed as it is
    added (in a savepoint), so what the session holds unflushed (a ticket write's history)
    cannot change the answer. The version comes back unattached to any session and shared
    with other requests: it is only read."""
    tenant, connection = session_tenant(session), session.connection()
    latest = _IN_EFFECT.first(connection, {"tenant": tenant, "day": day})
    if latest is None:
        return None
    found = latest.id
    version = _versions.get((tenant, found))
    if version is None:
        row = connection.execute(_VERSION, {"tenant": tenant, "id": found}).one()
        version = Agreement(**row._mapping)
        if len(_versions) >= _KEPT:
            _versions.clear()
        _versions[tenant, found] = version
    return version


def next_number(session: Session) -> int:
    """The next agreement number; a racing insert fails on the unique number."""
    highest = session.exec(select(func.max(Agreement.number))).one()
    return (highest or 0) + 1


_CLOCKS = select(Clock).where(Clock.ticket_id == bindparam("ticket")).order_by(col(Clock.kind))


def clocks(session: Session, ticket_id: uuid.UUID) -> list[Clock]:
    """A ticket's SLA clocks."""
    return list(session.exec(_CLOCKS, params={"ticket": ticket_id}))


def clocks_of(session: Session, ticket_ids: list[uuid.UUID]) -> list[Clock]:
    """The clocks of these tickets in one statement, by ticket and kind."""
    stmt = select(Clock).where(col(Clock.ticket_id).in_(ticket_ids))
    return list(session.exec(stmt.order_by(col(Clock.ticket_id), col(Clock.kind))))


def breached(tenant_id: Any, ticket_id: Any, now: datetime) -> ColumnElement[bool]:
    """The ticket has a clock that was breached or runs past its deadline at `now`."""
    overdue = and_(col(Clock.state) == "running", col(Clock.deadline) <= now)
    return exists().where(
        col(Clock.tenant_id) == tenant_id,
        col(Clock.ticket_id) == ticket_id,
        or_(col(Clock.breached_at).is_not(None), overdue),
    )


def nearing(
    tenant_id: Any,
    ticket_id: Any,
    now: datetime,
    soon: datetime | None,
) -> ColumnElement[bool]:
    """The ticket has a running clock past its warning moment (or falling due before `soon`)."""
    moments = [col(Clock.warn_at) <= now] + ([col(Clock.deadline) <= soon] if soon else [])
    return exists().where(
        col(Clock.tenant_id) == tenant_id,
        col(Clock.ticket_id) == ticket_id,
        col(Clock.state) == "running",
        col(Clock.deadline).is_not(None),
        or_(*moments),
    )


def insert_clocks(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many clocks in bulk (no row objects, no flush), stamped with the session's
    tenant as a flush stamps it. `render_nulls`: all in one statement (otherwise rows are
    grouped by which of their columns are None)."""
    if rows:
        stamp = {"tenant_id": session_tenant(session), "computed_at": utcnow()}
        session.execute(
            insert(Clock).execution_options(render_nulls=True), [row | stamp for row in rows]
        )


def clocked_tickets(session: Session) -> set[uuid.UUID]:
    """The ids of every ticket that has a stored clock."""
    return set(session.exec(select(Clock.ticket_id).distinct()))


def delete_clocks(session: Session, ticket_ids: set[uuid.UUID]) -> int:
    """Delete the clocks of these tickets; returns how many went."""
    stmt = delete(Clock).where(col(Clock.ticket_id).in_(ticket_ids))
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def unwarned_clocks(session: Session, threshold: int, now: datetime) -> list[Clock]:
    """Running clocks past the moment of `threshold` (75: warn_at, 100: deadline) that have no
    warning for it yet, oldest moment first."""
    moment = col(Clock.warn_at) if threshold == 75 else col(Clock.deadline)
    warned = exists().where(
        col(BreachWarning.tenant_id) == col(Clock.tenant_id),
        col(BreachWarning.ticket_id) == col(Clock.ticket_id),
        col(BreachWarning.kind) == col(Clock.kind),
        col(BreachWarning.threshold) == threshold,
    )
    stmt = (
        select(Clock)
        .where(Clock.state == "running", moment <= now, ~warned)
        .order_by(moment, col(Clock.ticket_id), col(Clock.kind))
    )
    return list(session.exec(stmt))


def warnings(session: Session, ticket_id: uuid.UUID) -> list[BreachWarning]:
    """The breach warnings recorded for a ticket, by kind and threshold."""
    stmt = (
        select(BreachWarning)
        .where(BreachWarning.ticket_id == ticket_id)
        .order_by(col(BreachWarning.kind), col(BreachWarning.threshold))
    )
    return list(session.exec(stmt))
