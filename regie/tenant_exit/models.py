"""An export requested through the API: a job the worker runs, and where its file is."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow
from services.reports.models import JobState

__all__ = ["ExportJob", "JobState"]


class ExportJob(TenantScoped, table=True):
    """One request of the client's admin for everything of the tenant, as one zip file."""

    __tablename__ = "exit_export_job"
    __table_args__ = (Index("ix_exit_export_job_created", "tenant_id", "created_at", "id"),)
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state: JobState = Field(default=JobState.queued, sa_type=enum_type(JobState))
    progress: int = 0
    step: str = Field(default="queued", max_length=100)
    error: str | None = Field(default=None, max_length=500)
    requested_by: str = Field(max_length=200)
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
