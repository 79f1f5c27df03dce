"""Report jobs, their files, and the one scheduled report per tenant and month."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, LargeBinary
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class JobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ReportJob(TenantScoped, table=True):
    """One request for a month's report in one or more formats.

    `attempt` counts the workers that took the job on: each step a worker writes checks that
    it is still the latest, so a re-delivered task takes over a job left running by a killed
    worker, and the one it replaced (if still alive) stops at its next step.
    """

    __tablename__ = "services_report_job"
    __table_args__ = (Index("ix_services_report_job_created", "tenant_id", "created_at", "id"),)
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    month: date  # the first day of the reported calendar month
    formats: list[str] = Field(sa_column=Column(JSON, nullable=False))
    language: str = Field(max_length=5)
    state: JobState = Field(default=JobState.queued, sa_type=enum_type(JobState))
    progress: int = 0
    step: str = Field(default="", max_length=100)
    error: str | None = Field(default=None, max_length=500)
    attempt: int = 0
    # Scheduled monthly reports are mailed to the tenant's recipients once generated.
    mail: bool = False
    requested_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReportFile(TenantScoped, table=True):
    """The bytes of one format of a job, apart from the job so lists stay light."""

    __tablename__ = "services_report_file"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "job_id"], ["services_report_job.tenant_id", "services_report_job.id"]
        ),
    )
    __audited__ = True
    __audit_masked__ = ("content",)  # the digest and size are recorded; the bytes need not be

    job_id: uuid.UUID = Field(primary_key=True)
    format: str = Field(primary_key=True, max_length=10)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    size: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MonthlyReport(TenantScoped, table=True):
    """The scheduled report of one month. Its key is the once-per-month guarantee: two
    schedulers running at once both try to insert it, and the second rolls back whole."""

    __tablename__ = "services_report_monthly"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "job_id"], ["services_report_job.tenant_id", "services_report_job.id"]
        ),
    )
    __audited__ = True

    month: date = Field(primary_key=True)
    job_id: uuid.UUID
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
