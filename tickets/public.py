"""What other domains may ask of tickets: whether a ticket is there, how the tenant numbers
things, who works in its assignment groups, how many incidents a service has open, and moving
a ticket along with the change it waits on (through the life cycle, so its history, SLA clocks
and audit stay right)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from core.identity.permissions import Principal
from tickets import lifecycle, repository, workflow
from tickets.models import Status


@dataclass(frozen=True)
class TicketRef:
    id: uuid.UUID
    number: str
    type: str
    status: str


def ticket_ref(session: Session, ticket_id: uuid.UUID) -> TicketRef | None:
    """The session tenant's ticket in brief, or None (also for another tenant's id)."""
    ticket = repository.get(session, ticket_id)
    if ticket is None:
        return None
    return TicketRef(ticket.id, ticket.number, ticket.type.value, ticket.status.value)


def workers(session: Session) -> dict[uuid.UUID, str]:
    """The people who can be named to carry out work: the members of the tenant's groups."""
    return dict(repository.workers(session))


def number_prefix(session: Session) -> str:
    """The tenant's number prefix (e.g. SHN), so that its other records number alike."""
    settings = repository.settings(session, create=True)
    assert settings is not None  # created just above when missing
    return settings.prefix


def open_incidents_on(session: Session, service_ids: list[uuid.UUID]) -> int:
    """How many open incidents of the tenant concern one of the services: a change's impact."""
    return repository.count_open_incidents_of_services(session, service_ids, lifecycle.OPEN)


def follow_change(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    status: str,
    note: str,
) -> bool:
    """Move the ticket to `status` because its change moved; False when the ticket is gone or
    its life cycle does not allow the step (a ticket reopened or closed by hand stays put)."""
    ticket = repository.get(session, ticket_id, for_update=True)
    if ticket is None:
        return False
    wanted = Status(status)
    resolution = note if wanted == Status.resolved else None
    reason = None if resolution else note
    return workflow.follow(session, actor, ticket, wanted, reason=reason, resolution=resolution)


def ticket_texts(session: Session, ticket_id: uuid.UUID) -> tuple[str, str]:
    """The ticket's title and description, for the change it becomes (the ticket must exist)."""
    ticket = repository.get(session, ticket_id)
    assert ticket is not None  # the caller found it with ticket_ref
    return ticket.title, ticket.description
