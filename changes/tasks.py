"""Celery tasks of change management, run by the scheduler."""

from __future__ import annotations

import structlog
from sqlalchemy.exc import OperationalError

from changes import downtime, workflow
from core.db import unit_of_work
from core.jobs import celery_app
from core.outbox.service import active_tenant_ids

FLAG_OVERDUE = "changes.flag_overdue"
ANNOUNCE_DOWNTIME = "changes.announce_downtime"
log = structlog.get_logger()


@celery_app.task(name=FLAG_OVERDUE)
def flag_overdue() -> int:
    """Flag, once, every approved change whose window passed unimplemented, in every tenant."""
    flagged = 0
    for tenant_id in active_tenant_ids():
        try:
            with unit_of_work(tenant_id) as session:
                flagged += len(workflow.flag_overdue(session))
        except OperationalError:
            # One tenant's trouble (a lock, a timeout) never keeps the others unflagged.
            log.warning("changes_overdue_sweep_failed", tenant_id=str(tenant_id))
    return flagged


@celery_app.task(name=ANNOUNCE_DOWNTIME)
def announce_downtime() -> int:
    """Announce, once per window, every change's downtime now due, in every tenant."""
    made = 0
    for tenant_id in active_tenant_ids():
        try:
            with unit_of_work(tenant_id) as session:
                made += downtime.sweep(session)
        except OperationalError:
            # One tenant's trouble (a lock, a timeout) never keeps the others unannounced.
            log.warning("changes_downtime_sweep_failed", tenant_id=str(tenant_id))
    return made
