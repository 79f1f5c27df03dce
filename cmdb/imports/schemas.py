"""API shapes of CI imports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from cmdb.imports.models import CiImport, ImportFormat, ImportState
from core.api.schemas import ApiModel

MAX_BYTES = 20 * 1024 * 1024  # the file's size in UTF-8; a larger one is answered 413


class ImportRequest(ApiModel):
    class_id: uuid.UUID = Field(description="The class of every CI in the file")
    format: ImportFormat
    content: str = Field(
        min_length=1,
        description="The file's text. csv: a header line naming name, naturalKey, status, "
        "owner and attribute keys, then one CI per line. json: a list of CIs shaped like a CI "
        "create without classId, or an object with that list as items. A row without "
        "naturalKey takes its name as key. At most 20 MiB (413) and 100,000 rows.",
    )
    dry_run: bool = Field(False, description="Only report what the import would do")


class RowProblem(ApiModel):
    name: str = Field(description="The field: name, naturalKey, status, owner, attributes.<key>")
    reason: str


class RowResult(ApiModel):
    row: int = Field(description="1 is the file's first CI (the CSV header line is not counted)")
    outcome: str = Field(description="created, updated, unchanged or rejected")
    natural_key: str
    ci_id: uuid.UUID | None = Field(
        description="The CI written or matched; null in a dry run's creates"
    )
    problems: list[RowProblem] = []


class ImportReport(ApiModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    items: list[RowResult]


class ImportPublic(ApiModel):
    id: uuid.UUID
    class_id: uuid.UUID
    format: ImportFormat
    dry_run: bool
    size: int = Field(description="The file's size in bytes")
    state: ImportState
    progress: int = Field(description="Percent done")
    step: str
    error: str | None = Field(description="Why it failed; nothing was written then")
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: ImportReport | None = Field(description="Once done: the outcome of every row")


def import_public(job: CiImport, outcomes: set[str] | None = None) -> ImportPublic:
    """The import as answered, its report's rows limited to the given outcomes."""
    report: dict[str, Any] | None = job.report
    if report is not None and outcomes:
        report = {**report, "items": [i for i in report["items"] if i["outcome"] in outcomes]}
    return ImportPublic(
        id=job.id,
        class_id=job.class_id,
        format=job.format,
        dry_run=job.dry_run,
        size=job.size,
        state=job.state,
        progress=job.progress,
        step=job.step,
        error=job.error,
        requested_by=job.requested_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        report=ImportReport.model_validate(report) if report is not None else None,
    )
