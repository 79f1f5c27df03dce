"""Exports requested through the API: request one, follow it, download it. Never commits.

A request only records a queued job; the worker (regie.tenant_exit.job) writes the export
and zips it, sent after commit so a rolled-back request queues nothing.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Session, col, select

from core.identity.permissions import Principal
from core.jobs import enqueue_after_commit
from core.settings import get_settings
from regie.tenant_exit import permissions
from regie.tenant_exit.errors import ExportNotFound, ExportNotReady
from regie.tenant_exit.models import ExportJob, JobState

RUN = "regie.tenant_exit.run"


def request_export(session: Session, actor: Principal) -> ExportJob:
    """A queued export of everything of the actor's tenant."""
    actor.require(permissions.EXPORT)
    job = ExportJob(requested_by=actor.label)
    session.add(job)
    session.flush()
    enqueue_after_commit(session, RUN, str(job.tenant_id), str(job.id))
    return job


def get_export(session: Session, actor: Principal, *, export_id: uuid.UUID) -> ExportJob:
    """The job; ExportNotFound for an unknown id or another tenant's."""
    actor.require(permissions.EXPORT)
    found = session.exec(select(ExportJob).where(col(ExportJob.id) == export_id)).first()
    if found is None:
        raise ExportNotFound(f"No export with id {export_id}.")
    return found


def export_file(
    session: Session, actor: Principal, *, export_id: uuid.UUID
) -> tuple[ExportJob, Path]:
    """The zip of a finished export; ExportNotReady (409) before that."""
    job = get_export(session, actor, export_id=export_id)
    path = zip_path(job.tenant_id, job.id)
    if job.state != JobState.done or not path.is_file():
        raise ExportNotReady(
            f"Export {export_id} is {job.state.value} ({job.progress} %); "
            "download it once it is done."
        )
    return job, path


def zip_path(tenant_id: uuid.UUID, job_id: uuid.UUID) -> Path:
    return get_settings().export_dir / str(tenant_id) / f"{job_id}.zip"
