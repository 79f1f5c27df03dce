"""The route that explains a ticket's SLA clocks, under the ticket's own visibility rules."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from core.api.deps import SessionDep, require_any
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.sla.public import SlaExplanation
from tickets import permissions, service, sla

router = APIRouter(prefix=API_PREFIX + "/tickets", tags=["tickets"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.WORK, permissions.REPORT)]
TicketId = Annotated[uuid.UUID, Path(alias="ticketId")]


@router.get("/{ticketId}/sla", response_model=SlaExplanation, summary="Explain a ticket's clocks")
def explain_sla(ticket_id: TicketId, session: SessionDep, actor: Reader) -> SlaExplanation:
    """Each clock's figures as of now and the timeline they come from; a reporter sees only
    their own tickets'."""
    ticket = service.get_ticket(session, actor, ticket_id=ticket_id)
    return sla.explain(session, ticket)
