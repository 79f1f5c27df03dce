"""What the tickets domain announces. Listeners run inside the announcing transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class TicketEventRecorded:
    """A history row was added (created, status, priority, assignment, ...)."""

    session: Session
    ticket: Ticket
    event: TicketEvent
    # What one listener read for this row and the next may reuse (the ticket's history).
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
