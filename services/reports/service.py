"""Monthly service level reports: request one, follow it, download its files. Never commits.

A request only records a queued job; the worker (services.reports.generate) makes the files,
sent after commit so a rolled-back request queues nothing. Only closed calendar months can be
reported: the figures of a running month would change after the report was read.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import Session

from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.jobs import enqueue_after_commit
from services.reports import permissions, repository
from services.reports.data import first_of
from services.reports.errors import ReportNotFound, ReportNotReady
from services.reports.models import JobState, ReportFile, ReportJob
from services.sla import service as sla_service

GENERATE = "services.reports.generate"


def check_month(month: date, *, today: date | None = None) -> None:
    """400 unless `month` is a closed calendar month (before the current one)."""
    current = first_of(today or sla_service.today())
    if first_of(month) >= current:
        why = f"must be a closed month, before {current.isoformat()[:7]}"
        raise InvalidInput(
            f"month: {why}.", invalidParams=[{"name": "month", "pointer": "/month", "reason": why}]
        )


def new_job(
    session: Session,
    *,
    month: date,
    formats: list[str],
    language: str,
    requested_by: str,
    mail: bool = False,
) -> ReportJob:
    """Record a queued job and have the worker generate it after commit."""
    job = ReportJob(
        month=first_of(month),
        formats=list(dict.fromkeys(formats)),
        language=language,
        requested_by=requested_by,
        mail=mail,
        step="queued",
    )
    session.add(job)
    session.flush()
    enqueue_after_commit(session, GENERATE, str(job.tenant_id), str(job.id))
    return job


def request_report(
    session: Session, actor: Principal, *, month: date, formats: list[str], language: str
) -> ReportJob:
    """A queued job for a closed month's report; 400 for a month not closed yet."""
    actor.require(permissions.REQUEST)
    check_month(month)
    return new_job(
        session, month=month, formats=formats, language=language, requested_by=actor.label
    )


def list_reports(
    session: Session, actor: Principal, *, limit: int, after: list[Any] | None
) -> tuple[list[ReportJob], list[Any] | None]:
    """One page of the tenant's jobs, newest first, and the cursor of the next page."""
    actor.require(permissions.READ)
    rows = repository.jobs(session, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1]) if more else None


def get_report(
    session: Session, actor: Principal, *, report_id: uuid.UUID
) -> tuple[ReportJob, list[tuple[str, str, int]]]:
    """The job and (format, sha256, size) of its files; ReportNotFound for another tenant's."""
    actor.require(permissions.READ)
    found = _job(session, report_id)
    return found, repository.file_facts(session, report_id)


def report_file(
    session: Session, actor: Principal, *, report_id: uuid.UUID, fmt: str
) -> tuple[ReportJob, ReportFile]:
    """The file of one requested format of a done job; ReportNotReady (409) before that."""
    actor.require(permissions.READ)
    found = _job(session, report_id)
    if fmt not in found.formats:
        raise ReportNotFound(f"Report {report_id} was not requested as {fmt}.")
    stored = repository.file(session, report_id, fmt) if found.state == JobState.done else None
    if stored is None:
        raise ReportNotReady(
            f"Report {report_id} is {found.state.value} ({found.progress} %); "
            "download it once it is done."
        )
    return found, stored


def _job(session: Session, report_id: uuid.UUID) -> ReportJob:
    found = repository.job(session, report_id)
    if found is None:
        raise ReportNotFound(f"No report with id {report_id}.")
    return found
