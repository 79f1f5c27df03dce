"""Routes of monthly service level reports: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response

from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX, PROBLEM_REF
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.reports import permissions, service
from services.reports.formats import FORMATS
from services.reports.schemas import (
    ReportFormat,
    ReportPage,
    ReportPublic,
    ReportRequest,
    report_public,
)

router = APIRouter(
    prefix=API_PREFIX + "/sla/reports", tags=["service levels"], route_class=ThreadedRoute
)

Reader = Annotated[Principal, require(permissions.READ)]
Requester = Annotated[Principal, require(permissions.REQUEST)]
ReportId = Annotated[uuid.UUID, Path(alias="reportId")]
FormatName = Annotated[ReportFormat, Path(alias="format")]

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in sorted({f.media_type.split(";")[0] for f in FORMATS.values()})
        },
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file name (regie-sla-YYYY-MM.ext)",
                "schema": {"type": "string"},
            }
        },
    },
    409: {
        "description": "The report is not generated yet",
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    },
}


@router.post(
    "",
    response_model=ReportPublic,
    status_code=202,
    summary="Request a month's report",
    description="Accepted: the worker generates the files; follow the Location until the "
    "state is done. The month must be a closed calendar month (400 otherwise).",
)
def request_report(
    body: ReportRequest, session: SessionDep, actor: Requester, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ReportPublic, dict[str, str]]:
        job = service.request_report(
            session,
            actor,
            month=body.first_day(),
            formats=[f.value for f in body.formats],
            language=body.language.value,
        )
        return report_public(job), {"Location": f"{API_PREFIX}/sla/reports/{job.id}"}

    return idem.respond(session, actor, produce, status=202)


@router.get("", response_model=ReportPage, summary="List reports")
def list_reports(
    session: SessionDep,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ReportPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_reports(session, actor, limit=limit, after=after)
    items = [report_public(r) for r in rows]
    return ReportPage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.get("/{reportId}", response_model=ReportPublic, summary="Get a report's state")
def get_report(report_id: ReportId, session: SessionDep, actor: Reader) -> ReportPublic:
    job, files = service.get_report(session, actor, report_id=report_id)
    return report_public(job, files)


@router.get(
    "/{reportId}/files/{format}",
    summary="Download a report file",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def report_file(
    report_id: ReportId, fmt: FormatName, session: SessionDep, actor: Reader
) -> Response:
    job, stored = service.report_file(session, actor, report_id=report_id, fmt=fmt.value)
    spec = FORMATS[stored.format]
    name = spec.file_name(job.month)
    headers = {
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(stored.content, media_type=spec.media_type, headers=headers)
