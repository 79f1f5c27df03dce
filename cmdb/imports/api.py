"""Routes of CI imports: parse, call one operation, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from cmdb import permissions
from cmdb.imports import service
from cmdb.imports.plan import RowOutcome
from cmdb.imports.schemas import ImportPublic, ImportRequest, import_public
from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal

router = APIRouter(prefix=API_PREFIX + "/ci-imports", tags=["cmdb"], route_class=ThreadedRoute)

Importer = Annotated[Principal, require(permissions.IMPORT)]
ImportId = Annotated[uuid.UUID, Path(alias="importId")]


@router.post(
    "",
    response_model=ImportPublic,
    status_code=202,
    summary="Import configuration items from a CSV or JSON file",
    description="Accepted: the worker checks every row, reconciles it by natural key within "
    "the class, and writes the CIs in one transaction (or, with dryRun, only reports). "
    "Follow the Location until the state is done or failed.",
)
def request_import(
    body: ImportRequest, session: SessionDep, actor: Importer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ImportPublic, dict[str, str]]:
        job = service.request_import(session, actor, data=body)
        return import_public(job), {"Location": f"{API_PREFIX}/ci-imports/{job.id}"}

    return idem.respond(session, actor, produce, status=202)


@router.get("/{importId}", response_model=ImportPublic, summary="Get an import's state and report")
def get_import(
    import_id: ImportId,
    session: SessionDep,
    actor: Importer,
    outcome: Annotated[
        list[RowOutcome] | None, Query(description="Only the report's rows with these outcomes")
    ] = None,
) -> ImportPublic:
    job = service.get_import(session, actor, import_id=import_id)
    return import_public(job, {o.value for o in outcome} if outcome else None)
