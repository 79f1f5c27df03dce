"""Celery tasks of change management, run by the scheduler."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.exc import OperationalError

from changes import calendar, downtime, workflow
from core.db import unit_of_work
from core.jobs import celery_app
from core.outbox.service import active_tenant_ids

FLAG_OVERDUE = "changes.flag_overdue"
ANNOUNCE_DOWNTIME = "changes.announce_downtime"
REFRESH_ALL = "changes.refresh_calendars"
BATCH = 1000
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


@celery_app.task(name=calendar.REFRESH)
def refresh_calendar(tenant_id: str, unwritten: bool = False) -> int:
    """Write a tenant's stale calendar entries anew, a batch per transaction, so the calendar
    reads them instead of computing them."""
    written = 0
    while True:
        with unit_of_work(uuid.UUID(tenant_id)) as session:
            stale = calendar.refresh(session, limit=BATCH, unwritten=unwritten)
        written += stale
        if stale < BATCH:
            return written


@celery_app.task(name=REFRESH_ALL)
def refresh_calendars() -> int:
    """The safety net of the refresh sent after each write (a lost message, an existing
    database): every tenant's stale entries."""
    written = 0
    for tenant_id in active_tenant_ids():
        try:
            written += refresh_calendar(str(tenant_id), unwritten=True)
        except OperationalError:
            log.warning("changes_calendar_refresh_failed", tenant_id=str(tenant_id))
    return written
