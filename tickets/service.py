"""Business operations on tickets: intake, reading, lists, edits. Never commits."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlmodel import Session

from core import events
from core.api.etag import check_if_match
from core.errors import Forbidden, InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import guard, permissions, repository
from tickets.errors import TicketNotFound
from tickets.events import TicketEventRecorded
from tickets.lifecycle import priority_for
from tickets.models import (
    EventKind,
    IncidentClass,
    Level,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)
from tickets.references import check_links
from tickets.schemas import TicketCreate, TicketUpdate

# What the SLA requires of an incident report, by API name.
INCIDENT_FIELDS = {
    "occurredAt": "occurred_at",
    "impact": "impact",
    "precedingActions": "preceding_actions",
    "reproducible": "reproducible",
    "investigation": "investigation",
    "causeOutsideService": "cause_outside_service",
}
# A clock skew allowance for "not in the future".
_SKEW = timedelta(minutes=5)


def record(
    session: Session,
    actor: Principal,
    ticket: Ticket,
    kind: EventKind,
    *,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    **data: Any,
) -> TicketEvent:
    """Add a history row and announce it in the same transaction."""
    event = TicketEvent(
        ticket_id=ticket.id,
        actor=actor.label,
        actor_name=actor.name,
        kind=kind,
        from_value=before,
        to_value=after,
        reason=reason,
        data=data,
    )
    session.add(event)
    events.publish(TicketEventRecorded(session=session, ticket=ticket, event=event))
    return event


def ticket_settings(session: Session) -> repository.SettingsInForce:
    """The tenant's ticket settings as a write applies them (read, never changed here)."""
    return repository.settings_in_force(session)


def can_read_all(actor: Principal) -> bool:
    """Whether the caller reads every ticket of the tenant, not only their own."""
    return actor.can(permissions.READ) or actor.can(permissions.WORK)


def get_ticket(
    session: Session, actor: Principal, *, ticket_id: uuid.UUID, for_update: bool = False
) -> Ticket:
    """The ticket, or TicketNotFound (also for another tenant's, or another reporter's)."""
    _may_read_some(actor)
    ticket = repository.get(session, ticket_id, for_update=for_update)
    return _visible(actor, ticket, ticket_id)


def read_ticket(session: Session, actor: Principal, *, ticket_id: uuid.UUID) -> Row[Any]:
    """As get_ticket, the columns only: what GET answers, without loading an entity."""
    _may_read_some(actor)
    return _visible(actor, repository.row(session, ticket_id), ticket_id)


T = TypeVar("T", Ticket, Row[Any])


def _may_read_some(actor: Principal) -> None:
    if not (can_read_all(actor) or actor.can(permissions.REPORT)):
        raise Forbidden(f"This action needs the permission '{permissions.READ}'.")


def _visible(actor: Principal, ticket: T | None, ticket_id: uuid.UUID) -> T:
    if ticket is None or not (can_read_all(actor) or ticket.reporter_id == actor.actor_id):
        raise TicketNotFound(f"No ticket with id {ticket_id}.")
    return ticket


def list_tickets(
    session: Session,
    actor: Principal,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
    columns: tuple[str, ...] | None = None,
) -> tuple[list[Any], list[Any] | None]:
    """One page in stable order (a reporter sees only their own), plus the next cursor.

    With `columns`, rows of only those columns: lists that show a summary skip the long
    texts and the entities."""
    if not can_read_all(actor):
        actor.require(permissions.REPORT)
        filters = repository.Filters(**{**vars(filters), "reporter_id": actor.actor_id})
    rows = repository.page(
        session,
        filters,
        sort=sort,
        limit=limit + 1,
        after=after,
        internal=can_read_all(actor),
        columns=columns,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1], sort) if more else None


def create_ticket(session: Session, actor: Principal, *, data: TicketCreate) -> Ticket:
    """Register a ticket with the tenant's next number; incidents must be fully described."""
    actor.require(permissions.REPORT)
    if data.type == TicketType.incident:
        check_incident_report(data.model_dump())
    elif data.incident_class is not None:
        why = "only incidents have a class"
        raise InvalidInput(
            why,
            invalidParams=[{"name": "incidentClass", "pointer": "/incidentClass", "reason": why}],
        )
    check_links(session, service_id=data.service_id, ci_id=data.ci_id)
    config = ticket_settings(session)
    impact = data.impact or Level.medium
    ticket = Ticket(
        **data.model_dump(exclude={"impact", "incident_class"}),
        incident_class=_class_at_intake(data),
        impact=impact,
        priority=priority_for(impact, data.urgency, config.priority_matrix),
        reporter_id=actor.actor_id,
        reporter_name=actor.name,
        number="",
    )
    guard.check_ticket(session, ticket, config.privacy_mode)
    ticket.number = repository.take_number(session, config)  # only once it is acceptable
    session.add(ticket)
    session.flush()
    record(session, actor, ticket, EventKind.created, after=ticket.status.value)
    return ticket


def _class_at_intake(data: TicketCreate) -> IncidentClass | None:
    """The class given, else platform for an incident: the stricter restore target, so an
    incident nobody classified yet never flatters the figures."""
    if data.type != TicketType.incident:
        return None
    return data.incident_class or IncidentClass.platform


def check_incident_report(values: dict[str, Any]) -> None:
    """400 naming every missing item of an incident report, and a future occurrence time."""
    problems = [
        {"name": api, "pointer": f"/{api}", "reason": "required for incidents"}
        for api, attr in INCIDENT_FIELDS.items()
        if values.get(attr) is None
    ]
    occurred = values.get("occurred_at")
    if occurred is not None and occurred.tzinfo is None:
        problems.append(
            {"name": "occurredAt", "pointer": "/occurredAt", "reason": "needs a time zone"}
        )
    elif occurred is not None and occurred > utcnow() + _SKEW:
        problems.append(
            {"name": "occurredAt", "pointer": "/occurredAt", "reason": "lies in the future"}
        )
    if problems:
        raise InvalidInput(
            "The incident report is incomplete: " + ", ".join(p["name"] for p in problems) + ".",
            invalidParams=problems,
        )


def update_ticket(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    changes: TicketUpdate,
    if_match: str | None,
) -> Ticket:
    """Apply the given fields, only if `if_match` names the version now stored.

    The reporter may complete their own report; a ticket that was returned to them for
    information goes back to the status it had."""
    ticket = get_ticket(session, actor, ticket_id=ticket_id)
    if not actor.can(permissions.WORK) and ticket.reporter_id != actor.actor_id:
        raise Forbidden(f"This action needs the permission '{permissions.WORK}'.")
    check_if_match(if_match, ticket.version)
    given = changes.model_dump(exclude_unset=True)
    _refuse_nulls(given)
    check_links(session, service_id=given.get("service_id"), ci_id=given.get("ci_id"))
    for field, value in given.items():
        setattr(ticket, field, value)
    if ticket.type == TicketType.incident:
        check_incident_report(ticket.model_dump())
    if given.keys() & guard.GUARDED.keys():
        guard.check_ticket(session, ticket, ticket_settings(session).privacy_mode)
    if "backlog_story" in given:
        record(session, actor, ticket, EventKind.linked, after=ticket.backlog_story)
    if ticket.status == Status.needs_information and ticket.reporter_id == actor.actor_id:
        reporter_supplied_information(session, actor, ticket)
    if session.is_modified(ticket):
        ticket.updated_at = utcnow()
        session.flush()
    return ticket


def _refuse_nulls(given: dict[str, Any]) -> None:
    nulls = [name for name, value in given.items() if value is None]
    if nulls:
        raise InvalidInput(
            "These fields cannot be removed: " + ", ".join(nulls) + ".",
            invalidParams=[
                {"name": n, "pointer": f"/{n}", "reason": "may not be null"} for n in nulls
            ],
        )


def reporter_supplied_information(session: Session, actor: Principal, ticket: Ticket) -> None:
    """A ticket returned for information goes back to where it was when the reporter answers."""
    if ticket.status != Status.needs_information:
        return
    previous = repository.last_status_before(session, ticket.id, Status.needs_information)
    back = previous if previous in (Status.new, Status.assigned, Status.in_progress) else Status.new
    ticket.status = back
    ticket.updated_at = utcnow()
    record(
        session,
        actor,
        ticket,
        EventKind.status,
        before=Status.needs_information.value,
        after=back.value,
        reason="The reporter supplied information",
    )


def history(session: Session, actor: Principal, *, ticket_id: uuid.UUID) -> list[TicketEvent]:
    """Every recorded change of the ticket, oldest first."""
    get_ticket(session, actor, ticket_id=ticket_id)
    return repository.events(session, ticket_id)


def create_converted(session: Session, actor: Principal, source: Ticket) -> Ticket:
    """The same request filed again as a service request, for the same reporter."""
    config = ticket_settings(session)
    ticket = Ticket(
        type=TicketType.service_request,
        title=source.title,
        description=source.description,
        impact=source.impact,
        urgency=source.urgency,
        priority=priority_for(source.impact, source.urgency, config.priority_matrix),
        reporter_id=source.reporter_id,
        reporter_name=source.reporter_name,
        service_id=source.service_id,
        ci_id=source.ci_id,
        converted_from_id=source.id,
        privacy_findings=list(source.privacy_findings),
        number=repository.take_number(session, config),
    )
    session.add(ticket)
    session.flush()
    record(
        session,
        actor,
        ticket,
        EventKind.created,
        after=ticket.status.value,
        reason=f"Converted from {source.number}",
    )
    return ticket
