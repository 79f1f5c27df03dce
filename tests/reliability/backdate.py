"""Run in the fault suite's environment: move tickets' intake to January 2026 with an assignee,
so every SLA clock has passed 75 % and 100 % of its target, then ask for two breach sweeps at
once. `python -m tests.reliability.backdate TENANT_ID ASSIGNEE_ID TICKET_ID...`
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime

from sqlmodel import select

from core.db import unit_of_work
from core.jobs import celery_app, configure_celery
from core.settings import get_settings
from services.sla import tasks
from tickets import sla
from tickets.models import EventKind, Ticket, TicketEvent

OPENED = datetime(2026, 1, 5, 13, 50, tzinfo=UTC)  # Monday 14:50 in Amsterdam


def backdate(tenant_id: uuid.UUID, assignee_id: uuid.UUID, ticket_id: uuid.UUID) -> None:
    with unit_of_work(tenant_id) as session:
        row = session.exec(select(Ticket).where(Ticket.id == ticket_id)).one()
        intake = select(TicketEvent).where(
            TicketEvent.ticket_id == row.id, TicketEvent.kind == EventKind.created
        )
        session.exec(intake).one().at = OPENED
        row.created_at = OPENED
        row.assignee_id, row.assignee_name = assignee_id, "A. Visser"
        session.flush()
        sla.update_clocks(session, row)


def main(tenant: str, assignee: str, *tickets: str) -> None:
    from audit import public as audit_public
    from regie import wiring

    # Before any write: a commit sends its jobs, and the first send fixes the broker for good.
    configure_celery(get_settings())
    audit_public.install()  # the back-dating is audited like any other write
    wiring.wire()
    for ticket in tickets:
        backdate(uuid.UUID(tenant), uuid.UUID(assignee), uuid.UUID(ticket))
    celery_app.send_task(tasks.WARN_BREACHES)
    celery_app.send_task(tasks.WARN_BREACHES)


if __name__ == "__main__":
    main(*sys.argv[1:])
