"""Routes of the DAP: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.schemas import QueryAwareDateTime
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.dap import permissions, service
from services.dap.schemas import DapCreate, DapList, DapPublic, dap_public

router = APIRouter(prefix=API_PREFIX + "/dap", tags=["service levels"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require(permissions.READ)]
Manager = Annotated[Principal, require(permissions.MANAGE)]
VersionId = Annotated[uuid.UUID, Path(alias="versionId")]


@router.get("/versions", response_model=DapList, summary="List DAP versions")
def list_dap_versions(session: SessionDep, actor: Reader) -> DapList:
    return DapList(items=[dap_public(v) for v in service.list_versions(session, actor)])


@router.post("/versions", response_model=DapPublic, status_code=201, summary="Add a DAP version")
def create_dap_version(
    body: DapCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[DapPublic, dict[str, str]]:
        created = service.create_version(session, actor, data=body)
        return dap_public(created), {"Location": f"{API_PREFIX}/dap/versions/{created.id}"}

    return idem.respond(session, actor, produce)


@router.get("/versions/{versionId}", response_model=DapPublic, summary="Get a DAP version")
def get_dap_version(version_id: VersionId, session: SessionDep, actor: Reader) -> DapPublic:
    return dap_public(service.get_version(session, actor, version_id=version_id))


@router.get(
    "/current",
    response_model=DapPublic,
    summary="The DAP version in effect",
    responses={404: {"description": "No DAP version is in effect (no DAP yet)"}},
)
def current_dap_version(
    session: SessionDep,
    actor: Reader,
    at: Annotated[
        QueryAwareDateTime | None,
        Query(description="Moment to look at (default: now), with a zone"),
    ] = None,
) -> DapPublic:
    return dap_public(service.current_version(session, actor, at=at))
