"""Breach warnings: each running clock is warned about once at 75 % and once at 100 % of its
target, through the outbox.

A sweep inserts the warning rows and publishes their messages in the caller's transaction:
if it dies before commit nothing happened and the next sweep retries; after commit the
rows' key (ticket, clock, threshold) stops a second warning, also from a sweep running at
the same time (its insert fails and it rolls back whole). A clock that crosses a threshold
again, e.g. a reopened ticket's restore clock, is not warned about twice for it.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.db import unit_of_work
from core.outbox.service import active_tenant_ids, publish
from core.types import utcnow
from services.sla import repository
from services.sla.models import BreachWarning

TOPIC = "sla.warning"
THRESHOLDS = (75, 100)
log = structlog.get_logger("regie.services.sla.warnings")


def sweep(session: Session, now: datetime | None = None) -> list[BreachWarning]:
    """Warn about every clock of the session's tenant that passed a threshold unwarned."""
    now = now or utcnow()
    made = []
    for threshold in THRESHOLDS:
        for clock in repository.unwarned_clocks(session, threshold, now):
            due_at = clock.warn_at if threshold == 75 else clock.deadline
            if due_at is None:  # never: the query selects clocks past their moment
                continue
            warning = BreachWarning(
                ticket_id=clock.ticket_id, kind=clock.kind, threshold=threshold, due_at=due_at
            )
            session.add(warning)
            publish(
                session,
                TOPIC,
                {
                    "ticketId": str(clock.ticket_id),
                    "kind": clock.kind,
                    "threshold": threshold,
                    "dueAt": due_at.isoformat(),
                },
            )
            made.append(warning)
    return made


def sweep_all(now: datetime | None = None) -> int:
    """Sweep every active tenant, each in its own transaction; returns how many warnings."""
    made = 0
    for tenant_id in active_tenant_ids():
        try:
            with unit_of_work(tenant_id) as session:
                made += len(sweep(session, now))
        except IntegrityError:
            # A sweep running at the same time warned first; ours rolled back whole.
            log.info("sla_warning_sweep_overlap", tenant_id=str(tenant_id))
    return made
