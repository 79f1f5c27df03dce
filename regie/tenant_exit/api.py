"""Routes of tenant exports for the client's admin: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.responses import FileResponse

from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX, PROBLEM_REF
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from regie.tenant_exit import permissions, service
from regie.tenant_exit.schemas import ExportPublic, export_public

router = APIRouter(
    prefix=API_PREFIX + "/tenant-exports", tags=["tenant exit"], route_class=ThreadedRoute
)

Exporter = Annotated[Principal, require(permissions.EXPORT)]
ExportId = Annotated[uuid.UUID, Path(alias="exportId")]

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export as a zip: manifest.json, SCHEMA.md, tables, files, registers",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file name",
                "schema": {"type": "string"},
            }
        },
    },
    409: {
        "description": "The export is not finished yet",
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    },
}


@router.post(
    "",
    response_model=ExportPublic,
    status_code=202,
    summary="Export everything of the tenant",
    description="Accepted: the worker writes the export (JSON Lines per table, files, the "
    "audit log, registers, a signed manifest) and zips it; follow the Location until the "
    "state is done, then download it.",
)
def request_export(session: SessionDep, actor: Exporter, idem: IdempotencyDep) -> Response:
    def produce() -> tuple[ExportPublic, dict[str, str]]:
        job = service.request_export(session, actor)
        return export_public(job), {"Location": f"{API_PREFIX}/tenant-exports/{job.id}"}

    return idem.respond(session, actor, produce, status=202)


@router.get("/{exportId}", response_model=ExportPublic, summary="Get an export's progress")
def get_export(export_id: ExportId, session: SessionDep, actor: Exporter) -> ExportPublic:
    return export_public(service.get_export(session, actor, export_id=export_id))


@router.get(
    "/{exportId}/file",
    summary="Download a finished export",
    response_class=Response,
    responses=FILE_RESPONSES,
)
def export_file(export_id: ExportId, session: SessionDep, actor: Exporter) -> Response:
    job, path = service.export_file(session, actor, export_id=export_id)
    name = f"regie-export-{job.created_at:%Y-%m-%d}-{job.id}.zip"
    return FileResponse(
        path,
        media_type="application/zip",
        filename=name,
        headers={"X-Content-Type-Options": "nosniff"},
    )
