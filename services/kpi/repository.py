"""All SQL of the KPI figures: counts grouped in the database, and narrow column selects over
indexed ranges where a figure needs the values themselves (percentiles, ages). The session
scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, exists, func, insert, literal, or_, union_all
from sqlalchemy import select as columns
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select

from core.api.pagination import keyset
from core.db import session_tenant
from core.tenancy import Tenant
from core.types import utcnow
from services.kpi.models import (
    ClosedMonth,
    Exclusion,
    ExclusionState,
    ExclusionSubject,
    TicketFactsRow,
)
from services.sla.public import Agreement, Clock

F, C = TicketFactsRow, Clock
Moment = datetime | BindParameter[datetime]  # a time, or one bound when the statement runs
_JOINED = and_(col(C.tenant_id) == col(F.tenant_id), col(C.ticket_id) == col(F.ticket_id))


def facts(session: Session, ticket_id: uuid.UUID) -> TicketFactsRow | None:
    """A ticket's stored KPI facts, if written."""
    return session.exec(select(F).where(F.ticket_id == ticket_id)).first()


def facts_rows(session: Session, ticket_ids: Sequence[uuid.UUID]) -> list[TicketFactsRow]:
    """The stored rows of those tickets, in one statement."""
    stmt = select(F).where(col(F.ticket_id).in_(ticket_ids))
    return list(session.exec(stmt)) if ticket_ids else []


def insert_facts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in bulk (no row objects, no flush), stamped with the session's tenant
    as a flush stamps it. `render_nulls`: all in one statement (otherwise rows are grouped by
    which of their columns are None)."""
    if rows:
        stamp = {"tenant_id": session_tenant(session), "computed_at": utcnow()}
        session.execute(
            insert(F).execution_options(render_nulls=True), [row | stamp for row in rows]
        )


def facts_ticket_ids(session: Session) -> set[uuid.UUID]:
    """Every ticket that has stored facts, in one statement."""
    return set(session.exec(select(F.ticket_id)))


def delete_facts(session: Session, ticket_ids: set[uuid.UUID]) -> int:
    """Delete the facts of these tickets; returns how many went."""
    stmt = delete(F).where(col(F.ticket_id).in_(ticket_ids))
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _missed() -> Any:
    """Breached at or before its stop, or never stopped: figures.outcome says `missed`."""
    breached, stopped = col(C.breached_at), col(C.stopped_at)
    return and_(breached.is_not(None), or_(stopped.is_(None), breached <= stopped))


def _ones(condition: Any) -> Any:
    """How many rows of the group meet `condition`."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _decided_within(start: Moment, end: Moment) -> Any:
    """The clock's outcome was decided in [start, end): breached first, or stopped in time
    (the stored `decided_at`, one index range per kind)."""
    return and_(col(C.decided_at) >= start, col(C.decided_at) < end)


def _counted() -> Any:
    """Not a rejected ticket's clock: those stay out of every clock figure."""
    return col(C.rejected).is_(False)


def _after(stmt: Any, after: str | None, limit: int | None) -> Any:
    """Continue after ticket number `after`, in number order (then clock kind)."""
    if after is not None:
        stmt = stmt.where(col(F.number) > after)
    stmt = stmt.order_by(col(F.number), col(C.kind))
    return stmt.limit(limit) if limit is not None else stmt


def decided_clocks(
    session: Session,
    start: datetime,
    end: datetime,
    kinds: Sequence[str],
    *,
    after: str | None = None,
    limit: int | None = None,
) -> list[Any]:
    """Clocks of `kinds` decided in [start, end), with their ticket's number and rejection."""
    stmt = (
        columns(
            col(C.ticket_id),
            col(C.kind),
            col(C.breached_at),
            col(C.stopped_at),
            col(C.elapsed_seconds),
            col(C.target_seconds),
            col(F.number),
            col(F.priority),
            col(F.rejected),
        )
        .join(F, _JOINED)
        .where(col(C.kind).in_(kinds), _decided_within(start, end))
    )
    return list(session.execute(_after(stmt, after, limit)).all())


def decided_counts(
    session: Session, start: datetime, end: datetime, kinds: Sequence[str]
) -> list[Any]:
    """(kind, missed, total) of the clocks of `kinds` decided in [start, end), leaving out
    rejected tickets."""
    stmt = (
        columns(col(C.kind), _ones(_missed()), func.count())
        .where(col(C.kind).in_(kinds), _decided_within(start, end), _counted())
        .group_by(col(C.kind))
    )
    return list(session.execute(stmt).all())


def stopped_elapsed(session: Session, start: datetime, end: datetime, kind: str) -> list[float]:
    """Elapsed seconds of the clocks of `kind` that stopped in [start, end), leaving out
    rejected tickets."""
    stmt = columns(col(C.elapsed_seconds)).where(
        col(C.kind) == kind, col(C.stopped_at) >= start, col(C.stopped_at) < end, _counted()
    )
    return list(session.execute(stmt).scalars())


def clocks_of(session: Session, ticket_ids: set[uuid.UUID]) -> list[Any]:
    """Every clock of those tickets: (ticket, kind, breached at, stopped at, elapsed)."""
    stmt = columns(
        col(C.ticket_id), col(C.kind), col(C.breached_at), col(C.stopped_at), col(C.elapsed_seconds)
    ).where(col(C.ticket_id).in_(ticket_ids))
    return list(session.execute(stmt).all())


def facts_of(session: Session, ticket_ids: set[uuid.UUID]) -> list[Any]:
    """What the counts need of those tickets' facts."""
    stmt = columns(
        col(F.ticket_id),
        col(F.type),
        col(F.priority),
        col(F.line),
        col(F.opened_at),
        col(F.finished_at),
        col(F.resolved),
        col(F.rejected),
        col(F.reopen_count),
        col(F.escalated),
        col(F.resolved_line),
    ).where(col(F.ticket_id).in_(ticket_ids))
    return list(session.execute(stmt).all())


def undecided_clocks(
    session: Session, end: datetime, kind: str, *, after: str | None, limit: int | None
) -> list[Any]:
    """Clocks of `kind` of tickets opened before `end` whose outcome was not decided by it."""
    breached, stopped = col(C.breached_at), col(C.stopped_at)
    stmt = (
        columns(
            col(C.ticket_id),
            col(C.agreement_id),
            col(C.elapsed_seconds),
            col(C.target_seconds),
            col(F.number),
            col(F.priority),
            col(F.statuses),
        )
        .join(F, _JOINED)
        .where(
            col(C.kind) == kind,
            col(F.opened_at) < end,
            or_(breached.is_(None), breached >= end),
            or_(stopped.is_(None), stopped >= end),
        )
    )
    return list(session.execute(_after(stmt, after, limit)).all())


def unclocked_opened(
    session: Session,
    start: datetime,
    end: datetime,
    kind: str,
    *,
    after: str | None,
    limit: int | None,
) -> list[Any]:
    """Tickets opened in [start, end) with no clock of `kind`: types the agreement leaves out,
    and incidents of the other class (restore clocks)."""
    clocked = exists().where(
        col(C.tenant_id) == col(F.tenant_id),
        col(C.ticket_id) == col(F.ticket_id),
        col(C.kind) == kind,
    )
    stmt = columns(col(F.ticket_id), col(F.number), col(F.priority), col(F.incident_class)).where(
        col(F.opened_at) >= start, col(F.opened_at) < end, ~clocked
    )
    if after is not None:
        stmt = stmt.where(col(F.number) > after)
    stmt = stmt.order_by(col(F.number))
    return list(session.execute(stmt.limit(limit) if limit is not None else stmt).all())


def _opened_within(start: Moment, end: Moment) -> Any:
    return and_(col(F.opened_at) >= start, col(F.opened_at) < end)


def _finished_within(start: Moment, end: Moment) -> Any:
    return and_(col(F.finished_at) >= start, col(F.finished_at) < end)


def _open_at(end: Moment) -> Any:
    """Opened before `end` and not finished by it: the backlog at `end`."""
    done = col(F.finished_at)
    return and_(col(F.opened_at) < end, or_(done.is_(None), done >= end))


def opened_counts(session: Session, start: datetime, end: datetime) -> list[Any]:
    """(type, priority, line, count) of the tickets opened in [start, end)."""
    keys = (col(F.type), col(F.priority), col(F.line))
    stmt = columns(*keys, func.count()).where(_opened_within(start, end)).group_by(*keys)
    return list(session.execute(stmt).all())


def finished_counts(session: Session, start: datetime, end: datetime) -> Any:
    """(finished, resolved, resolved by the first line unescalated, reopened) of the tickets
    finished in [start, end)."""
    resolved = col(F.resolved).is_(True)
    first_line = and_(resolved, col(F.resolved_line) == "1", col(F.escalated).is_(False))
    stmt = columns(
        func.count(), _ones(resolved), _ones(first_line), _ones(col(F.reopen_count) > 0)
    ).where(_finished_within(start, end))
    return session.execute(stmt).one()


def headline_counts(
    session: Session,
    start: datetime,
    end: datetime,
    kinds: Sequence[str],
    leaving_out: set[uuid.UUID],
) -> list[Any]:
    """The counts of a headline in one round trip, as (key, part, whole) rows: (kind, missed,
    decided) per clock kind as decided_counts() gives them, ("opened", 0, opened),
    ("finished", resolved, finished) and ("backlog", 0, how many rows backlog() would give)."""
    params: dict[str, Any] = {"start": start, "end": end}
    if leaving_out:
        params["leaving_out"] = list(leaving_out)
    stmt = _headline_statement(tuple(kinds), bool(leaving_out))
    return list(session.execute(stmt, params).all())


@cache
def _headline_statement(kinds: tuple[str, ...], leaving: bool) -> Any:
    """headline_counts()'s statement, built once per shape (the overview asks it of every
    client): the period and the tickets left out are bound at each call."""
    start: BindParameter[datetime] = bindparam("start")
    end: BindParameter[datetime] = bindparam("end")
    decided = (
        columns(col(C.kind), _ones(_missed()), func.count())
        .where(col(C.kind).in_(kinds), _decided_within(start, end), _counted())
        .group_by(col(C.kind))
    )
    opened = columns(literal("opened"), literal(0), func.count()).where(_opened_within(start, end))
    finished = columns(literal("finished"), _ones(col(F.resolved).is_(True)), func.count()).where(
        _finished_within(start, end)
    )
    open_at = columns(literal("backlog"), literal(0), func.count()).where(_open_at(end))
    if leaving:
        open_at = open_at.where(col(F.ticket_id).not_in(bindparam("leaving_out", expanding=True)))
    return union_all(
        decided,
        opened.select_from(F),
        finished.select_from(F),
        open_at.select_from(F),
    )


def backlog(session: Session, end: datetime, leaving_out: set[uuid.UUID]) -> list[Any]:
    """(priority, opened at) of tickets opened before `end` and not finished by it, other
    than those of `leaving_out`."""
    stmt = columns(col(F.priority), col(F.opened_at)).where(_open_at(end))
    if leaving_out:
        stmt = stmt.where(col(F.ticket_id).not_in(leaving_out))
    return list(session.execute(stmt).all())


def ticket_set(
    session: Session, which: str, start: datetime, end: datetime, *, after: str | None, limit: int
) -> list[TicketFactsRow]:
    """The facts of the tickets a count of [start, end) covers, in number order: `opened` in
    it, `finished` in it, or `backlog` at its end."""
    if which == "opened":
        where = _opened_within(start, end)
    elif which == "finished":
        where = _finished_within(start, end)
    else:
        where = _open_at(end)
    stmt = select(F).where(where)
    if after is not None:
        stmt = stmt.where(col(F.number) > after)
    return list(session.exec(stmt.order_by(col(F.number)).limit(limit)))


def accepted_in(session: Session, months: Sequence[date]) -> list[Any]:
    """(subject kind, subject id, month) of the accepted exclusions of `months`."""
    stmt = columns(
        col(Exclusion.subject_kind), col(Exclusion.subject_id), col(Exclusion.month)
    ).where(col(Exclusion.month).in_(months), col(Exclusion.state) == ExclusionState.accepted)
    return list(session.execute(stmt).all())


def agreements(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Agreement]:
    """The agreements of these ids, in one statement."""
    if not ids:
        return {}
    return {
        row.id: row for row in session.exec(select(Agreement).where(col(Agreement.id).in_(ids)))
    }


def exclusions_in(
    session: Session,
    months: Sequence[date],
    subject_kind: ExclusionSubject,
    *,
    state: ExclusionState | None = None,
) -> list[Exclusion]:
    """Exclusions of `months`, optionally of one state, oldest first."""
    stmt = select(Exclusion).where(
        col(Exclusion.month).in_(months), Exclusion.subject_kind == subject_kind
    )
    if state is not None:
        stmt = stmt.where(Exclusion.state == state)
    return list(session.exec(stmt.order_by(col(Exclusion.proposed_at), col(Exclusion.id))))


def exclusion(
    session: Session, exclusion_id: uuid.UUID, *, for_update: bool = False
) -> Exclusion | None:
    """One KPI exclusion; `for_update` locks it for a write that reads it first."""
    stmt = select(Exclusion).where(Exclusion.id == exclusion_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def standing_exclusion(
    session: Session, month: date, subject_kind: ExclusionSubject, subject_id: uuid.UUID
) -> Exclusion | None:
    """A proposed or accepted exclusion of the subject for the month, if any."""
    stmt = select(Exclusion).where(
        Exclusion.month == month,
        Exclusion.subject_kind == subject_kind,
        Exclusion.subject_id == subject_id,
        col(Exclusion.state).in_([ExclusionState.proposed, ExclusionState.accepted]),
    )
    return session.exec(stmt).first()


def exclusion_page(
    session: Session,
    *,
    month: date | None,
    state: ExclusionState | None,
    limit: int,
    after: list[Any] | None,
) -> list[Exclusion]:
    """One page of exclusions, oldest proposal first."""
    stmt = select(Exclusion)
    if month is not None:
        stmt = stmt.where(Exclusion.month == month)
    if state is not None:
        stmt = stmt.where(Exclusion.state == state)
    stmt = keyset(
        stmt, col(Exclusion.proposed_at), col(Exclusion.id), descending=False, after=after
    )
    return list(session.exec(stmt.limit(limit)))


def proposed_exclusions(session: Session, month: date) -> list[Exclusion]:
    """The exclusions of `month` still awaiting a decision, of any subject, oldest first."""
    stmt = select(Exclusion).where(
        Exclusion.month == month, Exclusion.state == ExclusionState.proposed
    )
    return list(session.exec(stmt.order_by(col(Exclusion.proposed_at), col(Exclusion.id))))


def tenant(session: Session, tenant_id: uuid.UUID) -> Tenant | None:
    """The tenant, to tell whether the caller speaks for the client."""
    return session.exec(select(Tenant).where(Tenant.id == tenant_id)).first()


def closed_month(session: Session, month: date) -> ClosedMonth | None:
    """The tenant's closed month, if it was closed."""
    return session.exec(select(ClosedMonth).where(ClosedMonth.month == month)).first()


def closed_months_in(session: Session, months: Sequence[date]) -> list[ClosedMonth]:
    """The closed months among these, in one statement."""
    return list(session.exec(select(ClosedMonth).where(col(ClosedMonth.month).in_(months))))


def closed_month_page(
    session: Session, *, limit: int, after: list[Any] | None
) -> list[ClosedMonth]:
    """One page of closed months, newest month first."""
    stmt = keyset(
        select(ClosedMonth),
        col(ClosedMonth.month),
        col(ClosedMonth.id),
        descending=True,
        after=after,
    )
    return list(session.exec(stmt.limit(limit)))


def closed_month_to_sign(session: Session, month_id: uuid.UUID) -> ClosedMonth | None:
    """The closed month, locked until the transaction ends, so two workers never both sign."""
    stmt = select(ClosedMonth).where(ClosedMonth.id == month_id)
    return session.exec(stmt.with_for_update()).first()
