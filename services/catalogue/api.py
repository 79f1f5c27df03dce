"""Routes of the service catalogue: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from core.api.deps import SessionDep, require
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.catalogue import permissions, service
from services.catalogue.models import ServiceDomain, ServiceStatus
from services.catalogue.schemas import ServiceCreate, ServicePage, ServicePublic, ServiceUpdate

# Routers carry the full path, so every route knows its own template (logs, metrics).
router = APIRouter(
    prefix=API_PREFIX + "/services", tags=["service catalogue"], route_class=ThreadedRoute
)

Reader = Annotated[Principal, require(permissions.READ)]
Writer = Annotated[Principal, require(permissions.WRITE)]
ServiceId = Annotated[uuid.UUID, Path(alias="serviceId")]
Sort = Query(
    "name", pattern=r"^-?(name|code|createdAt)$", description="Sort key; prefix - for descending"
)


@router.get("", response_model=ServicePage, summary="List services")
def list_services(
    session: SessionDep,
    actor: Reader,
    sort: str = Sort,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    status: ServiceStatus | None = None,
    domain: ServiceDomain | None = None,
) -> ServicePage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_entries(
        session, actor, sort=sort, limit=limit, after=after, status=status, domain=domain
    )
    items = [ServicePublic.model_validate(r) for r in rows]
    return ServicePage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post("", response_model=ServicePublic, status_code=201, summary="Add a service")
def create_service(
    body: ServiceCreate, session: SessionDep, actor: Writer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ServicePublic, dict[str, str]]:
        entry = service.create_entry(session, actor, data=body)
        headers = {"ETag": etag(entry.version), "Location": f"{API_PREFIX}/services/{entry.id}"}
        return ServicePublic.model_validate(entry), headers

    return idem.respond(session, actor, produce)


@router.get("/{serviceId}", response_model=ServicePublic, summary="Get a service")
def get_service(
    service_id: ServiceId, session: SessionDep, actor: Reader, response: Response
) -> ServicePublic:
    entry = service.get_entry(session, actor, entry_id=service_id)
    response.headers["ETag"] = etag(entry.version)
    return ServicePublic.model_validate(entry)


@router.patch("/{serviceId}", response_model=ServicePublic, summary="Change a service")
def update_service(
    service_id: ServiceId,
    body: ServiceUpdate,
    session: SessionDep,
    actor: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> ServicePublic:
    entry = service.update_entry(
        session, actor, entry_id=service_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = etag(entry.version)
    return ServicePublic.model_validate(entry)
