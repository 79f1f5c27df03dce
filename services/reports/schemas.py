"""API shapes of report jobs. Months travel as YYYY-MM."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from core.api.openapi import API_PREFIX
from core.api.pagination import Page
from core.api.schemas import ApiModel
from services.reports.models import JobState, ReportJob

# Months of this century only, so every month and its twelve before it are real dates.
MonthText = Annotated[str, StringConstraints(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")]


class ReportFormat(enum.StrEnum):
    pdf = "pdf"
    xlsx = "xlsx"
    ods = "ods"
    csv = "csv"
    csv_data = "csv-data"


class ReportLanguage(enum.StrEnum):
    nl = "nl"
    en = "en"


class ReportRequest(ApiModel):
    month: MonthText = Field(description="A closed calendar month, YYYY-MM", examples=["2026-11"])
    formats: list[ReportFormat] = Field(
        default_factory=lambda: [ReportFormat.pdf],
        min_length=1,
        max_length=5,
        description="csv opens in a spreadsheet (Dutch: ';' and decimal comma); csv-data is "
        "RFC 4180 with '.' decimals and English keys, for machines",
    )
    language: ReportLanguage = ReportLanguage.nl

    @field_validator("formats")
    @classmethod
    def _unique(cls, value: list[ReportFormat]) -> list[ReportFormat]:
        if len(set(value)) != len(value):
            raise ValueError("name each format once")
        return value

    def first_day(self) -> date:
        year, month = self.month.split("-")
        return date(int(year), int(month), 1)


class ReportFilePublic(ApiModel):
    format: ReportFormat
    sha256: str
    size: int = Field(description="Bytes")
    href: str = Field(description="Where to download it")


class ReportPublic(ApiModel):
    id: uuid.UUID
    month: MonthText
    formats: list[ReportFormat]
    language: ReportLanguage
    state: JobState
    progress: int = Field(ge=0, le=100, description="Percent")
    step: str
    error: str | None
    requested_by: str
    created_at: datetime
    finished_at: datetime | None
    files: list[ReportFilePublic] = Field(description="Once done: each format's download")


class ReportPage(Page[ReportPublic]):
    """One page of reports, newest first; pass nextCursor back as `cursor`."""


def href(job_id: uuid.UUID, fmt: str) -> str:
    """Where a report's file in one format is downloaded."""
    return f"{API_PREFIX}/sla/reports/{job_id}/files/{fmt}"


def report_public(job: ReportJob, files: list[tuple[str, str, int]] | None = None) -> ReportPublic:
    """A report job as the API answers it, with its files once done."""
    done = job.state == JobState.done
    return ReportPublic(
        id=job.id,
        month=job.month.isoformat()[:7],
        formats=[ReportFormat(f) for f in job.formats],
        language=ReportLanguage(job.language),
        state=job.state,
        progress=job.progress,
        step=job.step,
        error=job.error,
        requested_by=job.requested_by,
        created_at=job.created_at,
        finished_at=job.finished_at,
        files=[
            ReportFilePublic(format=ReportFormat(f), sha256=s, size=n, href=href(job.id, f))
            for f, s, n in (files or [])
            if done
        ],
    )
