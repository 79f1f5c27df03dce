"""Routes of outages and the monthly availability: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from core.api.deps import SessionDep, require
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.schemas import QueryAwareDateTime
from core.api.threads import ThreadedRoute
from core.errors import InvalidInput
from core.identity.permissions import Principal
from services.availability import permissions, service
from services.availability.models import Outage, Scope
from services.availability.repository import Filters
from services.availability.schemas import (
    MONTH_PATTERN,
    Availability,
    OutageCreate,
    OutagePage,
    OutagePublic,
    OutageUpdate,
    outage_public,
)
from services.kpi import public as kpi

router = APIRouter(prefix=API_PREFIX + "/outages", tags=["availability"], route_class=ThreadedRoute)
availability_router = APIRouter(
    prefix=API_PREFIX + "/availability", tags=["availability"], route_class=ThreadedRoute
)

Reader = Annotated[Principal, require(permissions.READ)]
Manager = Annotated[Principal, require(permissions.MANAGE)]
OutageId = Annotated[uuid.UUID, Path(alias="outageId")]
Sort = Query("-start", pattern=r"^-?(start|number)$", description="Sort key; - for descending")
ScopeQuery = Query(
    None,
    max_length=40,
    pattern=r"^(platform|application|service|[0-9a-fA-F-]{36})$",
    description="platform, application, service (any), or a catalogue service's id",
)


def _answer(outage: Outage, response: Response) -> OutagePublic:
    response.headers["ETag"] = etag(outage.version)
    return outage_public(outage)


def _filters(
    since: datetime | None, until: datetime | None, scope: str | None, attributable: bool | None
) -> Filters:
    if scope is None or scope in Scope.__members__:
        return Filters(since, until, Scope(scope) if scope else None, None, attributable)
    try:
        service_id = uuid.UUID(scope)
    except ValueError:
        why = "platform, application, service or the id of a catalogue service"
        problem = {"name": "scope", "pointer": "query:scope", "reason": why}
        raise InvalidInput(f"scope: {why}.", invalidParams=[problem]) from None
    return Filters(since, until, Scope.service, service_id, attributable)


@router.get("", response_model=OutagePage, summary="List outages")
def list_outages(
    session: SessionDep,
    actor: Reader,
    sort: str = Sort,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    since: Annotated[
        QueryAwareDateTime | None, Query(description="Going on at or after this")
    ] = None,
    until: Annotated[QueryAwareDateTime | None, Query(description="Begun before this")] = None,
    scope: str | None = ScopeQuery,
    attributable: bool | None = None,
) -> OutagePage:
    filters = _filters(since, until, scope, attributable)
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_outages(session, actor, filters, sort=sort, limit=limit, after=after)
    items = [outage_public(r) for r in rows]
    return OutagePage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post("", response_model=OutagePublic, status_code=201, summary="Record an outage")
def create_outage(
    body: OutageCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[OutagePublic, dict[str, str]]:
        outage = service.create_outage(session, actor, data=body)
        headers = {"ETag": etag(outage.version), "Location": f"{API_PREFIX}/outages/{outage.id}"}
        return outage_public(outage), headers

    return idem.respond(session, actor, produce)


@router.get("/{outageId}", response_model=OutagePublic, summary="Get an outage")
def get_outage(
    outage_id: OutageId, session: SessionDep, actor: Reader, response: Response
) -> OutagePublic:
    return _answer(service.get_outage(session, actor, outage_id=outage_id), response)


@router.patch("/{outageId}", response_model=OutagePublic, summary="End or correct an outage")
def update_outage(
    outage_id: OutageId,
    body: OutageUpdate,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> OutagePublic:
    changed = service.update_outage(
        session, actor, outage_id=outage_id, changes=body, if_match=if_match
    )
    return _answer(changed, response)


@router.delete("/{outageId}", status_code=204, summary="Remove an outage")
def delete_outage(
    outage_id: OutageId, session: SessionDep, actor: Manager, if_match: IfMatch = None
) -> Response:
    service.delete_outage(session, actor, outage_id=outage_id, if_match=if_match)
    return Response(status_code=204)


@availability_router.get(
    "",
    response_model=Availability,
    summary="A month's availability within service hours",
    description="Service hours and norm are the agreement version's in effect at the month's "
    "end (its last moment), the one /kpis judges the month by.",
)
def month_availability(
    session: SessionDep,
    actor: Reader,
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM (Amsterdam)")],
    scope: Annotated[
        str | None,
        Query(max_length=40, description="platform, application or a catalogue service's id"),
    ] = None,
) -> Availability:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    # Outages that client and supplier agreed to leave out of this month (KPI exclusions).
    agreed = kpi.accepted_exclusions(session, month=first, subject_kind=kpi.ExclusionSubject.outage)
    return service.month_availability(
        session, actor, month=first, scope=scope, excluded_ids=frozenset(agreed)
    )
