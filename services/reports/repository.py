"""All SQL of reports. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from core.api.pagination import keyset, typed_cursor
from services.reports.models import JobState, MonthlyReport, ReportFile, ReportJob


def job(session: Session, job_id: uuid.UUID, *, lock: bool = False) -> ReportJob | None:
    """The job; with `lock`, its row held until the transaction ends (PostgreSQL)."""
    stmt = select(ReportJob).where(ReportJob.id == job_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def jobs(session: Session, *, limit: int, after: list[Any] | None) -> list[ReportJob]:
    """A page of jobs, newest first."""
    typed = typed_cursor(after, timestamp=True)
    stmt = keyset(
        select(ReportJob),
        col(ReportJob.created_at),
        col(ReportJob.id),
        descending=True,
        after=typed,
    )
    return list(session.exec(stmt.limit(limit)))


def cursor_values(found: ReportJob) -> list[Any]:
    """The keyset cursor after this report job, for the next page."""
    return [found.created_at.isoformat(), str(found.id)]


def file_facts(session: Session, job_id: uuid.UUID) -> list[tuple[str, str, int]]:
    """(format, sha256, size) of each of the job's files, without loading their bytes."""
    stmt = (
        select(ReportFile.format, ReportFile.sha256, ReportFile.size)
        .where(ReportFile.job_id == job_id)
        .order_by(col(ReportFile.format))
    )
    return [tuple(row) for row in session.exec(stmt)]  # type: ignore[misc]


def file(session: Session, job_id: uuid.UUID, fmt: str) -> ReportFile | None:
    """A report job's rendered file in one format, if rendered."""
    stmt = select(ReportFile).where(ReportFile.job_id == job_id, ReportFile.format == fmt)
    return session.exec(stmt).first()


def delete_files(session: Session, job_id: uuid.UUID) -> None:
    """Drop a job's files before it renders again: a killed attempt may have left some."""
    session.execute(delete(ReportFile).where(col(ReportFile.job_id) == job_id))


def monthly(session: Session, month: date) -> MonthlyReport | None:
    """The tenant's monthly report of a month, if made."""
    return session.exec(select(MonthlyReport).where(MonthlyReport.month == month)).first()


def stale_jobs(session: Session, before: datetime) -> list[ReportJob]:
    """Jobs still queued or running that were created before `before`."""
    stmt = select(ReportJob).where(
        col(ReportJob.state).in_([JobState.queued, JobState.running]),
        col(ReportJob.created_at) < before,
    )
    return list(session.exec(stmt))
