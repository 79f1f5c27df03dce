"""All SQL of problems. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.api.pagination import keyset, typed_cursor
from tickets.lifecycle import OPEN
from tickets.models import Priority, Ticket
from tickets.problems.models import Problem, ProblemCounter, ProblemEvent, ProblemStatus

PREFIX = "PRB"
SORTS: dict[str, Any] = {
    "createdAt": Problem.created_at,
    "updatedAt": Problem.updated_at,
    "number": Problem.number,
}
_TIME_SORTS = {"createdAt", "updatedAt"}


@dataclass(frozen=True)
class Filters:
    status: list[ProblemStatus] | None = None
    known_error: bool | None = None
    priority: Priority | None = None
    owner_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    text: str | None = None  # a case-insensitive substring of title, root cause or workaround


def get(session: Session, problem_id: uuid.UUID, *, for_update: bool = False) -> Problem | None:
    """One problem; `for_update` locks it for a write that reads it first."""
    stmt = select(Problem).where(Problem.id == problem_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def page(
    session: Session, filters: Filters, *, sort: str, limit: int, after: list[Any] | None
) -> list[Problem]:
    """A page of problems by the filters, in keyset order."""
    key = sort.lstrip("-")
    stmt = _filtered(select(Problem), filters)
    typed_after = typed_cursor(after, timestamp=key in _TIME_SORTS)
    stmt = keyset(
        stmt, SORTS[key], col(Problem.id), descending=sort.startswith("-"), after=typed_after
    )
    return list(session.exec(stmt.limit(limit)))


def _filtered(stmt: Any, f: Filters) -> Any:
    equal = [
        (Problem.known_error, f.known_error),
        (Problem.priority, f.priority),
        (Problem.owner_id, f.owner_id),
        (Problem.service_id, f.service_id),
        (Problem.ci_id, f.ci_id),
    ]
    for column, value in equal:
        if value is not None:
            stmt = stmt.where(column == value)
    if f.status:
        stmt = stmt.where(col(Problem.status).in_(f.status))
    if f.text:
        pattern = "%" + _escape_like(f.text) + "%"
        stmt = stmt.where(
            or_(
                col(Problem.title).ilike(pattern, escape="\\"),
                col(Problem.root_cause).ilike(pattern, escape="\\"),
                col(Problem.workaround).ilike(pattern, escape="\\"),
            )
        )
    return stmt


def _escape_like(text: str) -> str:
    """The text matched literally: LIKE's wildcards in it are only characters."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def cursor_values(problem: Problem, sort: str) -> list[Any]:
    """The keyset cursor after this problem in the sort, for the next page."""
    key = sort.lstrip("-")
    value = getattr(problem, SORTS[key].key)
    return [value.isoformat() if key in _TIME_SORTS else str(value), str(problem.id)]


def take_number(session: Session) -> str:
    """The next problem number of the session's tenant, e.g. PRB-000012. The counter row stays
    locked until commit, so numbers are unique and never reused."""
    stmt = (
        update(ProblemCounter)
        .values(next_number=col(ProblemCounter.next_number) + 1)
        .returning(col(ProblemCounter.next_number))
    )
    taken = session.execute(stmt).scalar_one_or_none()
    if taken is None:
        try:
            with session.begin_nested():
                session.add(ProblemCounter())
        except IntegrityError:
            pass  # a concurrent first problem created it; the update now finds it
        taken = session.execute(stmt).scalar_one()
    return f"{PREFIX}-{taken - 1:06d}"


def events(session: Session, problem_id: uuid.UUID) -> list[ProblemEvent]:
    """A problem's history, oldest first."""
    stmt = (
        select(ProblemEvent)
        .where(ProblemEvent.problem_id == problem_id)
        .order_by(col(ProblemEvent.at), col(ProblemEvent.id))
    )
    return list(session.exec(stmt))


def linked_incidents(
    session: Session, problem_id: uuid.UUID, *, open_only: bool = False
) -> list[Ticket]:
    """The incidents linked to the problem, oldest first, locked for the caller's changes."""
    stmt = select(Ticket).where(Ticket.problem_id == problem_id)
    if open_only:
        stmt = stmt.where(col(Ticket.status).in_(OPEN))
    stmt = stmt.order_by(col(Ticket.created_at), col(Ticket.id)).with_for_update()
    return list(session.exec(stmt))


def open_on(session: Session, ci_ids: list[uuid.UUID]) -> list[Problem]:
    """The problems not yet resolved on any of these CIs, oldest first."""
    done = (ProblemStatus.resolved, ProblemStatus.closed)
    stmt = select(Problem).where(col(Problem.ci_id).in_(ci_ids), col(Problem.status).not_in(done))
    return list(session.exec(stmt.order_by(col(Problem.created_at), col(Problem.id))))
