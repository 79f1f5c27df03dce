"""An import of CIs of one class from a CSV or JSON file, run by the worker."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class ImportState(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ImportFormat(enum.StrEnum):
    csv = "csv"
    json = "json"


class CiImport(TenantScoped, table=True):
    """One uploaded file, its state while the worker runs it, and the report it ends with.

    `attempt` counts the workers that took the job on, as report jobs do: a task delivered
    again after its worker was killed starts the import afresh, and the overtaken worker stops.
    The CIs of an import are written in one transaction together with its report, so a failed
    or overtaken attempt leaves none of them behind.
    """

    __tablename__ = "cmdb_ci_import"
    __table_args__ = (Index("ix_cmdb_ci_import_created", "tenant_id", "created_at", "id"),)
    __audited__ = True
    __audit_masked__ = ("content", "report")  # the file may be large; the CIs are audited

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    class_id: uuid.UUID
    format: ImportFormat = Field(sa_type=enum_type(ImportFormat))
    dry_run: bool = False
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int
    state: ImportState = Field(default=ImportState.queued, sa_type=enum_type(ImportState))
    progress: int = 0
    step: str = Field(default="queued", max_length=100)
    error: str | None = Field(default=None, max_length=500)
    attempt: int = 0
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    requested_by: str = Field(max_length=200)
    requested_by_name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
