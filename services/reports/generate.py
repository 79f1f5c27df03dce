"""The worker's side of a report job: claim it, make each format, finish or fail.

Every step is its own short transaction, so a reader follows the progress. A claim raises
the job's `attempt`; each later step locks the job row and checks that its attempt is still
the latest. So a task delivered again for a done (or failed) job does nothing, one delivered
again after its worker was killed takes over the running job and starts it afresh, and a
worker that was overtaken stops at its next step instead of writing over the newer one.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlmodel import Session

from core.db import unit_of_work
from core.types import utcnow
from services.reports import mail, repository
from services.reports.data import ReportData, report_data
from services.reports.formats import FORMATS
from services.reports.labels import Language
from services.reports.models import JobState, ReportFile, ReportJob

log = structlog.get_logger("regie.services.reports")
FIGURES_DONE = 20  # percent once the figures are read; the formats share the rest


class Superseded(Exception):
    """Another attempt took the job over, or it ended meanwhile."""


@dataclass(frozen=True)
class Claim:
    attempt: int
    month: Any
    formats: list[str]
    language: Language


def generate(tenant_id: uuid.UUID, job_id: uuid.UUID, engine: Engine | None = None) -> str:
    """Make every requested format of the job; returns the state it was left in."""
    claim = _claim(tenant_id, job_id, engine)
    if claim is None:
        return "skipped"
    try:
        with unit_of_work(tenant_id, engine, read_only=True) as session:
            data = report_data(session, month=claim.month)
        _step(tenant_id, job_id, claim, engine, progress=FIGURES_DONE, step="figures read")
        for index, fmt in enumerate(claim.formats, start=1):
            _render(tenant_id, job_id, claim, engine, data, fmt, index)
        _step(tenant_id, job_id, claim, engine, progress=100, step="done", done=True)
    except Superseded:
        log.info("report_job_superseded", job_id=str(job_id), attempt=claim.attempt)
        return "superseded"
    except Exception as exc:
        log.warning("report_job_failed", job_id=str(job_id), error=type(exc).__name__)
        _fail(tenant_id, job_id, claim, engine, exc)
        return JobState.failed.value
    return JobState.done.value


def _claim(tenant_id: uuid.UUID, job_id: uuid.UUID, engine: Engine | None) -> Claim | None:
    with unit_of_work(tenant_id, engine) as session:
        job = repository.job(session, job_id, lock=True)
        if job is None or job.state not in (JobState.queued, JobState.running):
            return None
        repository.delete_files(session, job_id)  # a killed attempt's, if any
        job.attempt += 1
        job.state, job.progress, job.step = JobState.running, 5, "reading figures"
        job.started_at, job.error = utcnow(), None
        return Claim(job.attempt, job.month, list(job.formats), job.language)  # type: ignore[arg-type]


def _render(
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    claim: Claim,
    engine: Engine | None,
    data: ReportData,
    fmt: str,
    index: int,
) -> None:
    content = FORMATS[fmt].render(data, claim.language)
    share = (100 - FIGURES_DONE) * index // (len(claim.formats) + 1)
    stored = ReportFile(
        job_id=job_id,
        format=fmt,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    _step(tenant_id, job_id, claim, engine, FIGURES_DONE + share, f"{fmt} made", stored)


def _step(
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    claim: Claim,
    engine: Engine | None,
    progress: int,
    step: str,
    stored: ReportFile | None = None,
    *,
    done: bool = False,
) -> None:
    with unit_of_work(tenant_id, engine) as session:
        job = _own(session, job_id, claim)
        if stored is not None:
            session.add(stored)
        job.progress, job.step = progress, step
        if done:
            job.state, job.finished_at = JobState.done, utcnow()
            if job.mail:
                mail.queue(session, job)


def _fail(
    tenant_id: uuid.UUID, job_id: uuid.UUID, claim: Claim, engine: Engine | None, exc: Exception
) -> None:
    try:
        with unit_of_work(tenant_id, engine) as session:
            job = _own(session, job_id, claim)
            job.state, job.finished_at = JobState.failed, utcnow()
            job.step, job.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
    except Superseded:
        pass


def _own(session: Session, job_id: uuid.UUID, claim: Claim) -> ReportJob:
    job = repository.job(session, job_id, lock=True)
    if job is None or job.attempt != claim.attempt or job.state != JobState.running:
        raise Superseded(str(job_id))
    return job
