"""The scheduled changes a CI's impact analysis names, delivered to tickets.impact (wired in
regie.wiring, since tickets may not read changes)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from changes import repository, service
from changes.models import ChangeStatus
from core.identity.permissions import Principal
from tickets import impact

SCHEDULED = frozenset({ChangeStatus.approved, ChangeStatus.scheduled, ChangeStatus.implementing})


def scheduled_on(
    session: Session,
    actor: Principal,
    ci_ids: list[uuid.UUID],
    service_ids: list[uuid.UUID],
) -> list[impact.ScheduledChange] | None:
    """Approved, scheduled and implementing changes naming one of these CIs or services;
    None when the caller may not read changes."""
    if not service.can_read(actor):
        return None
    cis, services = {str(c) for c in ci_ids}, {str(s) for s in service_ids}
    return [
        impact.ScheduledChange(
            id=c.id,
            number=c.number,
            title=c.title,
            status=c.status.value,
            planned_start=c.planned_start,
            planned_end=c.planned_end,
            ci_ids=[uuid.UUID(i) for i in c.ci_ids if i in cis],
            service_ids=[uuid.UUID(i) for i in c.service_ids if i in services],
        )
        for c in repository.in_statuses(session, SCHEDULED)
        if cis.intersection(c.ci_ids) or services.intersection(c.service_ids)
    ]
