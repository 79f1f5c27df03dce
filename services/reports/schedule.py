"""The monthly report: from the first working day of a month, once per tenant, the previous
month's report is made and mailed (services.reports.mail).

The `services_report_monthly` row is the guarantee: it is inserted with the job in one
transaction, so a run that dies before commit left nothing (the next daily run retries) and
after commit its key stops any other, also a run at the same time (whose insert fails and
rolls back whole, job included).
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import holidays as holiday_library
import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.db import unit_of_work
from core.jobs import enqueue_after_commit
from core.outbox.service import active_tenant_ids
from core.types import utcnow
from services.reports import repository, service
from services.reports.data import first_of, shift
from services.reports.models import MonthlyReport, ReportJob
from services.sla import service as sla_service

FORMATS = ["pdf", "xlsx", "ods", "csv"]
REQUESTED_BY = "system:monthly-report"
STALE_AFTER = timedelta(hours=1)
log = structlog.get_logger("regie.services.reports.schedule")


def first_working_day(month: date) -> date:
    """The first weekday of `month` that is no Dutch public holiday."""
    closed = holiday_library.country_holidays("NL", years=month.year)
    day = first_of(month)
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def due_month(today: date) -> date | None:
    """The month whose report is due on `today`: the previous one, once its first working
    day has come; None before that."""
    return shift(first_of(today), -1) if today >= first_working_day(today) else None


def make_monthly(session: Session, month: date) -> ReportJob | None:
    """The session's tenant's report of `month`, made once; None when it already exists."""
    if repository.monthly(session, month) is not None:
        return None
    job = service.new_job(
        session, month=month, formats=FORMATS, language="nl", requested_by=REQUESTED_BY, mail=True
    )
    session.add(MonthlyReport(month=month, job_id=job.id))
    session.flush()
    return job


def retry_stale(tenant_id: UUID) -> int:
    """Send again every job of the tenant left queued or running for over an hour (its task
    lost, or its worker killed); the generator takes such a job over."""
    with unit_of_work(tenant_id) as session:
        stale = repository.stale_jobs(session, utcnow() - STALE_AFTER)
        for job in stale:
            enqueue_after_commit(session, service.GENERATE, str(tenant_id), str(job.id))
    return len(stale)


def send_monthly(today: date | None = None) -> int:
    """Make the due monthly report of every active tenant that has none; returns how many.
    Also sends stuck jobs of every tenant again."""
    month = due_month(today or sla_service.today())
    made = 0
    for tenant_id in active_tenant_ids():
        retry_stale(tenant_id)
        if month is None:
            continue
        try:
            with unit_of_work(tenant_id) as session:
                made += make_monthly(session, month) is not None
        except IntegrityError:
            # A run at the same time made it first; ours rolled back whole.
            log.info("monthly_report_overlap", tenant_id=str(tenant_id))
    return made
