"""Working a problem: status transitions, linked incidents, publishing the workaround,
resolving (with its incidents, when asked) and raising the change request that fixes it."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.db import touch
from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import service as ticket_service
from tickets import workflow as ticket_workflow
from tickets.errors import TicketNotFound
from tickets.models import EventKind, Ticket, TicketType
from tickets.problems import permissions, repository
from tickets.problems.errors import (
    AlreadyLinked,
    NotAnIncident,
    NoWorkaround,
    ProblemTransitionRefused,
)
from tickets.problems.models import Problem, ProblemEventKind, ProblemStatus
from tickets.problems.schemas import (
    ChangeRequestCreate,
    ProblemTransition,
    ResolutionCreate,
    WorkaroundPublication,
)
from tickets.problems.service import (
    get_problem,
    load_for_change,
    record,
    set_status,
    sync_known_error,
)
from tickets.schemas import TicketCreate

S = ProblemStatus
# Resolving has its own action (it may resolve the incidents too); a known error is undone by
# clearing the flag, so its workaround never silently disappears from the list.
TRANSITIONS: dict[ProblemStatus, frozenset[ProblemStatus]] = {
    S.new: frozenset({S.investigating, S.known_error, S.closed}),
    S.investigating: frozenset({S.known_error, S.closed}),
    S.known_error: frozenset({S.closed}),
    S.resolved: frozenset({S.closed, S.investigating}),
    S.closed: frozenset(),
}
RESOLVABLE = frozenset({S.new, S.investigating, S.known_error})


def _missing(name: str, why: str) -> InvalidInput:
    return InvalidInput(why, invalidParams=[{"name": name, "pointer": f"/{name}", "reason": why}])


def _refuse_closed(problem: Problem) -> None:
    if problem.status == S.closed:
        raise ProblemTransitionRefused(f"Problem {problem.number} is closed.")


def transition(
    session: Session,
    actor: Principal,
    *,
    problem_id: uuid.UUID,
    data: ProblemTransition,
    if_match: str | None,
) -> Problem:
    """Move the problem along an allowed transition; closing early and reopening need a
    reason, and moving to known-error sets the flag."""
    problem = load_for_change(session, actor, problem_id, if_match)
    current, wanted = problem.status, data.status
    if wanted == S.resolved and current in RESOLVABLE:
        raise ProblemTransitionRefused("Resolve a problem through its resolutions action.")
    if wanted not in TRANSITIONS[current]:
        raise ProblemTransitionRefused(
            f"A problem cannot go from {current.value} to {wanted.value}."
        )
    early_close = wanted == S.closed and current != S.resolved
    reopening = current == S.resolved and wanted != S.closed
    if (early_close or reopening) and not data.reason:
        raise _missing("reason", f"A reason is required to set {wanted.value}.")
    if wanted == S.known_error:
        sync_known_error(session, actor, problem, explicit=True)
    else:
        set_status(session, actor, problem, wanted, reason=data.reason)
    return touch(session, problem)


def resolve(
    session: Session,
    actor: Principal,
    *,
    problem_id: uuid.UUID,
    data: ResolutionCreate,
    if_match: str | None,
) -> tuple[Problem, list[Ticket], list[Ticket]]:
    """Resolve the problem; with resolve_incidents also each open linked incident, in the
    same transaction. Asked again once resolved, it resolves the incidents still open.
    Returns the problem, the incidents resolved now and those still open."""
    problem = load_for_change(session, actor, problem_id, if_match)
    if problem.status in RESOLVABLE:
        problem.resolution = data.resolution
        set_status(session, actor, problem, S.resolved, reason=None)
        touch(session, problem)
    elif problem.status != S.resolved or not data.resolve_incidents:
        raise ProblemTransitionRefused(
            f"A problem cannot go from {problem.status.value} to resolved."
        )
    candidates = repository.linked_incidents(session, problem.id, open_only=True)
    done: list[Ticket] = []
    if data.resolve_incidents:
        for ticket in candidates:
            if ticket_workflow.resolve(session, actor, ticket, resolution=data.resolution):
                done.append(ticket)
    done_ids = {t.id for t in done}
    return problem, done, [t for t in candidates if t.id not in done_ids]


def publish_workaround(
    session: Session,
    actor: Principal,
    *,
    problem_id: uuid.UUID,
    data: WorkaroundPublication,
    if_match: str | None,
) -> tuple[Problem, list[Ticket]]:
    """Make the workaround known on every open linked incident (a `workaround` history row,
    which tells its reporter); the text stays on the problem. Returns those incidents."""
    problem = load_for_change(session, actor, problem_id, if_match)
    _refuse_closed(problem)
    if data.workaround is not None:
        problem.workaround = data.workaround
        sync_known_error(session, actor, problem, explicit=None)
    if not problem.workaround:
        raise NoWorkaround(f"Record a workaround on {problem.number} before publishing it.")
    problem.workaround_published_at = utcnow()
    incidents = repository.linked_incidents(session, problem.id, open_only=True)
    for ticket in incidents:
        ticket_service.record(
            session,
            actor,
            ticket,
            EventKind.workaround,
            after=problem.number,
            problem=problem.number,
            problemId=str(problem.id),
        )
    numbers = [t.number for t in incidents]
    record(session, actor, problem, ProblemEventKind.workaround, incidents=numbers)
    touch(session, problem)
    return problem, incidents


def link_incident(
    session: Session, actor: Principal, *, problem_id: uuid.UUID, ticket_id: uuid.UUID
) -> tuple[Ticket, bool]:
    """Link an incident to the problem; True when it was not linked yet. An incident belongs
    to one problem at a time."""
    actor.require(permissions.LINK)
    problem = get_problem(session, actor, problem_id=problem_id, for_update=True)
    _refuse_closed(problem)
    ticket = ticket_service.get_ticket(session, actor, ticket_id=ticket_id, for_update=True)
    if ticket.type != TicketType.incident:
        raise NotAnIncident(f"{ticket.number} is a {ticket.type.value}, not an incident.")
    if ticket.problem_id == problem.id:
        return ticket, False
    if ticket.problem_id is not None:
        raise AlreadyLinked(f"{ticket.number} is linked to another problem; unlink it first.")
    ticket.problem_id = problem.id
    _linked(session, actor, problem, ticket, linked=True)
    return ticket, True


def unlink_incident(
    session: Session, actor: Principal, *, problem_id: uuid.UUID, ticket_id: uuid.UUID
) -> None:
    """Take the incident off the problem; both keep the change as history."""
    actor.require(permissions.LINK)
    problem = get_problem(session, actor, problem_id=problem_id, for_update=True)
    ticket = ticket_service.get_ticket(session, actor, ticket_id=ticket_id, for_update=True)
    if ticket.problem_id != problem.id:
        raise TicketNotFound(f"No incident {ticket_id} is linked to {problem.number}.")
    ticket.problem_id = None
    _linked(session, actor, problem, ticket, linked=False)


def _linked(
    session: Session, actor: Principal, problem: Problem, ticket: Ticket, *, linked: bool
) -> None:
    number = problem.number
    ticket_service.record(
        session,
        actor,
        ticket,
        EventKind.linked,
        before=None if linked else number,
        after=number if linked else None,
        problem=number if linked else None,
        problemId=str(problem.id) if linked else None,
    )
    kind = ProblemEventKind.linked if linked else ProblemEventKind.unlinked
    record(session, actor, problem, kind, after=ticket.number, ticketId=str(ticket.id))
    ticket.updated_at = utcnow()
    session.flush()


def raise_change_request(
    session: Session, actor: Principal, *, problem_id: uuid.UUID, data: ChangeRequestCreate
) -> Ticket:
    """File the change request that fixes the problem, linked to it; title, description,
    service and item default to the problem's."""
    actor.require(permissions.MANAGE)
    problem = get_problem(session, actor, problem_id=problem_id, for_update=True)
    _refuse_closed(problem)
    body = TicketCreate(
        type=TicketType.change_request,
        title=data.title or f"Fix {problem.number}: {problem.title}"[:200],
        description=data.description or _change_description(problem),
        impact=data.impact,
        urgency=data.urgency,
        service_id=problem.service_id,
        ci_id=problem.ci_id,
    )
    ticket = ticket_service.create_ticket(session, actor, data=body)
    ticket.problem_id = problem.id
    ticket_service.record(
        session,
        actor,
        ticket,
        EventKind.linked,
        after=problem.number,
        problem=problem.number,
        problemId=str(problem.id),
    )
    record(
        session,
        actor,
        problem,
        ProblemEventKind.change_request,
        after=ticket.number,
        ticketId=str(ticket.id),
    )
    session.flush()
    return ticket


def _change_description(problem: Problem) -> str:
    cause = problem.root_cause or "not yet known"
    text = f"Fixes problem {problem.number}.\n\nRoot cause: {cause}\n\n{problem.description}"
    return text[:20000]
