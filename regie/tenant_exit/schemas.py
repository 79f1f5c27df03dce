"""API shape of an export job."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from core.api.openapi import API_PREFIX
from core.api.schemas import ApiModel
from regie.tenant_exit.models import ExportJob, JobState


class ExportPublic(ApiModel):
    id: uuid.UUID
    state: JobState
    progress: int = Field(ge=0, le=100, description="Percent")
    step: str
    error: str | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    sha256: str | None = Field(description="Of the zip, once done")
    size: int | None = Field(description="Bytes of the zip, once done")
    href: str | None = Field(description="Where to download the zip, once done")


def export_public(job: ExportJob) -> ExportPublic:
    done = job.state == JobState.done
    return ExportPublic(
        id=job.id,
        state=job.state,
        progress=job.progress,
        step=job.step,
        error=job.error,
        requested_by=job.requested_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        sha256=job.sha256,
        size=job.size,
        href=f"{API_PREFIX}/tenant-exports/{job.id}/file" if done else None,
    )
