"""The route that records an outage from a monitoring incident, under the ticket's visibility."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from core.api.deps import SessionDep, require
from core.api.etag import etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.errors import Unprocessable
from core.identity.permissions import Principal
from services.availability import public as availability
from tickets import service
from tickets.models import Ticket, TicketType

router = APIRouter(prefix=API_PREFIX + "/tickets", tags=["tickets"], route_class=ThreadedRoute)

Manager = Annotated[Principal, require(availability.MANAGE)]
TicketId = Annotated[uuid.UUID, Path(alias="ticketId")]


@router.post(
    "/{ticketId}/outages",
    response_model=availability.OutagePublic,
    status_code=201,
    summary="Record the outage an incident reported",
)
def create_outage(
    ticket_id: TicketId,
    body: availability.OutageOverrides,
    session: SessionDep,
    actor: Manager,
    idem: IdempotencyDep,
) -> Response:
    """An outage from the incident's own moments; 409 when the incident already has one."""

    def produce() -> tuple[availability.OutagePublic, dict[str, str]]:
        ticket = service.get_ticket(session, actor, ticket_id=ticket_id)
        data = availability.OutageCreate(**(from_incident(ticket) | _given(body)))
        outage = availability.create_outage(session, actor, data=data, incident_id=ticket.id)
        headers = {"ETag": etag(outage.version), "Location": f"{API_PREFIX}/outages/{outage.id}"}
        return availability.outage_public(outage), headers

    return idem.respond(session, actor, produce)


def from_incident(ticket: Ticket) -> dict[str, Any]:
    """The outage the incident describes: from when it occurred until it was resolved (ongoing
    while it is not), of its service if it names one, else of the application."""
    if ticket.type != TicketType.incident:
        raise Unprocessable(f"{ticket.number} is no incident; only incidents report outages.")
    scope = availability.Scope.service if ticket.service_id else availability.Scope.application
    return {
        "start": ticket.occurred_at or ticket.created_at,
        "end": ticket.resolved_at,
        "scope": scope,
        "service_id": ticket.service_id,
        # The number only: the ticket's own text may hold personal data.
        "description": f"Outage reported by incident {ticket.number}",
    }


def _given(body: availability.OutageOverrides) -> dict[str, Any]:
    """The fields the body sets; null keeps the incident's value, except for end and serviceId."""
    given = {
        name: value
        for name, value in body.model_dump(exclude_unset=True).items()
        if value is not None or name in ("end", "service_id")
    }
    if given.get("scope") not in (None, availability.Scope.service):
        given.setdefault("service_id", None)  # another scope than the incident's service
    return given
