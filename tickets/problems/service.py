"""Business operations on problems: recording, reading, lists, edits, the known-error list.
Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from core.api.etag import check_if_match
from core.db import touch
from core.errors import Forbidden, InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import service as ticket_service
from tickets.models import Ticket, TicketType
from tickets.problems import permissions, repository
from tickets.problems.errors import ProblemNotFound
from tickets.problems.models import Problem, ProblemEvent, ProblemEventKind, ProblemStatus
from tickets.problems.schemas import ProblemCreate, ProblemUpdate
from tickets.references import check_links
from tickets.repository import Filters as TicketFilters

# A known error moves an open problem on to this status; clearing the flag moves it back.
_BEFORE_KNOWN = frozenset({ProblemStatus.new, ProblemStatus.investigating})


def record(
    session: Session,
    actor: Principal,
    problem: Problem,
    kind: ProblemEventKind,
    *,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    **data: Any,
) -> ProblemEvent:
    """Add a history row to the problem."""
    event = ProblemEvent(
        problem_id=problem.id,
        actor=actor.label,
        actor_name=actor.name,
        kind=kind,
        from_value=before,
        to_value=after,
        reason=reason,
        data=data,
    )
    session.add(event)
    return event


def can_read(actor: Principal) -> bool:
    """Whether the caller may read problems: readers, managers and those who link tickets."""
    return any(actor.can(p) for p in (permissions.READ, permissions.MANAGE, permissions.LINK))


def get_problem(
    session: Session, actor: Principal, *, problem_id: uuid.UUID, for_update: bool = False
) -> Problem:
    """The problem, or ProblemNotFound (also for another tenant's id)."""
    if not can_read(actor):
        raise Forbidden(f"This action needs the permission '{permissions.READ}'.")
    problem = repository.get(session, problem_id, for_update=for_update)
    if problem is None:
        raise ProblemNotFound(f"No problem with id {problem_id}.")
    return problem


def load_for_change(
    session: Session, actor: Principal, problem_id: uuid.UUID, if_match: str | None
) -> Problem:
    """The problem locked for a manager's change, only if `if_match` names its version."""
    actor.require(permissions.MANAGE)
    problem = get_problem(session, actor, problem_id=problem_id, for_update=True)
    check_if_match(if_match, problem.version)
    return problem


def list_problems(
    session: Session,
    actor: Principal,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Problem], list[Any] | None]:
    """One page in stable order, plus the cursor values of its last row when more follow."""
    if not can_read(actor):
        actor.require(permissions.READ)
    return _page(session, filters, sort=sort, limit=limit, after=after)


def list_known_errors(
    session: Session,
    actor: Principal,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Problem], list[Any] | None]:
    """One page of the tenant's known errors matching the filters, in stable order."""
    if not (actor.can(permissions.KNOWN_ERRORS) or can_read(actor)):
        actor.require(permissions.KNOWN_ERRORS)
    filters = repository.Filters(**{**vars(filters), "known_error": True})
    return _page(session, filters, sort=sort, limit=limit, after=after)


def _page(
    session: Session,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Problem], list[Any] | None]:
    rows = repository.page(session, filters, sort=sort, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1], sort) if more else None


def create_problem(session: Session, actor: Principal, *, data: ProblemCreate) -> Problem:
    """Record a problem with the tenant's next number; it is a known error at once when it
    says so or already carries a root cause and a workaround."""
    actor.require(permissions.MANAGE)
    _check_owner(data.model_dump(exclude_unset=True))
    check_links(session, service_id=data.service_id, ci_id=data.ci_id)
    problem = Problem(
        **data.model_dump(exclude={"owner_id", "owner_name", "known_error"}),
        owner_id=data.owner_id or actor.actor_id,
        owner_name=data.owner_name or actor.name,
        number=repository.take_number(session),
    )
    session.add(problem)
    session.flush()
    record(session, actor, problem, ProblemEventKind.created, after=problem.status.value)
    sync_known_error(session, actor, problem, explicit=data.known_error or None)
    session.flush()
    return problem


def _check_owner(given: dict[str, Any]) -> None:
    """The owner is named by id and name together, or not at all."""
    named = [k for k in ("owner_id", "owner_name") if given.get(k) is not None]
    if len(named) == 1:
        raise InvalidInput(
            "Give ownerId and ownerName together.",
            invalidParams=[
                {"name": n, "pointer": f"/{n}", "reason": "required with the other owner field"}
                for n in ("ownerId", "ownerName")
            ],
        )


def update_problem(
    session: Session,
    actor: Principal,
    *,
    problem_id: uuid.UUID,
    changes: ProblemUpdate,
    if_match: str | None,
) -> Problem:
    """Apply the given fields, only if `if_match` names the version now stored; a priority
    change and a change of the known-error flag are history."""
    problem = load_for_change(session, actor, problem_id, if_match)
    given = changes.model_dump(exclude_unset=True)
    _refuse_nulls(given)
    _check_owner(given)
    check_links(session, service_id=given.get("service_id"), ci_id=given.get("ci_id"))
    explicit = given.pop("known_error", None)
    before_priority = problem.priority
    for field, value in given.items():
        setattr(problem, field, value)
    if problem.priority != before_priority:
        record(
            session,
            actor,
            problem,
            ProblemEventKind.priority,
            before=before_priority.value,
            after=problem.priority.value,
        )
    sync_known_error(session, actor, problem, explicit=explicit)
    if session.is_modified(problem):
        touch(session, problem)
    return problem


def _refuse_nulls(given: dict[str, Any]) -> None:
    nulls = [name for name, value in given.items() if value is None]
    if nulls:
        raise InvalidInput(
            "These fields cannot be removed: " + ", ".join(nulls) + ".",
            invalidParams=[
                {"name": n, "pointer": f"/{n}", "reason": "may not be null"} for n in nulls
            ],
        )


def sync_known_error(
    session: Session, actor: Principal, problem: Problem, *, explicit: bool | None
) -> None:
    """Set the known-error flag as told, or once a root cause and a workaround are recorded;
    an open problem's status follows the flag."""
    wanted = explicit
    if wanted is None:
        wanted = problem.known_error or bool(problem.root_cause and problem.workaround)
    if wanted != problem.known_error:
        problem.known_error = wanted
        record(
            session,
            actor,
            problem,
            ProblemEventKind.known_error,
            before=str(not wanted).lower(),
            after=str(wanted).lower(),
        )
    if wanted and problem.status in _BEFORE_KNOWN:
        set_status(session, actor, problem, ProblemStatus.known_error, reason=None)
    elif not wanted and problem.status == ProblemStatus.known_error:
        set_status(session, actor, problem, ProblemStatus.investigating, reason=None)


def set_status(
    session: Session,
    actor: Principal,
    problem: Problem,
    wanted: ProblemStatus,
    *,
    reason: str | None,
) -> None:
    """Change the status and keep the change as history, with the times it stands for."""
    before = problem.status
    problem.status = wanted
    now = utcnow()
    if wanted == ProblemStatus.resolved:
        problem.resolved_at = now
    elif wanted == ProblemStatus.closed:
        problem.closed_at = now
    elif before == ProblemStatus.resolved:
        problem.resolved_at = None
    record(
        session,
        actor,
        problem,
        ProblemEventKind.status,
        before=before.value,
        after=wanted.value,
        reason=reason,
    )


def history(session: Session, actor: Principal, *, problem_id: uuid.UUID) -> list[ProblemEvent]:
    """Every recorded change of the problem, oldest first."""
    get_problem(session, actor, problem_id=problem_id)
    return repository.events(session, problem_id)


def list_incidents(
    session: Session,
    actor: Principal,
    *,
    problem_id: uuid.UUID,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Ticket], list[Any] | None]:
    """One page of the incidents linked to the problem, newest first."""
    get_problem(session, actor, problem_id=problem_id)
    filters = TicketFilters(problem_id=problem_id, type=TicketType.incident)
    return ticket_service.list_tickets(
        session, actor, filters, sort="-createdAt", limit=limit, after=after
    )
