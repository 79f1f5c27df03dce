"""The evidence behind the service level page's figures, for a signed-in browser.

The API takes bearer credentials only, never the browser's session cookie, so the page's
evidence links lead here: the same answers as /api/v1/kpis/evidence, /kpis/tickets and
/availability (the same functions, the same JSON), under the signed-in person's principal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from core.api.openapi import API_PREFIX
from core.db import unit_of_work
from core.identity.permissions import Principal
from regie.web.tickets import Caller, CallerDep, WebRoute
from services.availability import api as availability_api
from services.availability import permissions as availability_permissions
from services.availability.schemas import MONTH_PATTERN
from services.kpi import api as kpi_api
from services.kpi import permissions as kpi_permissions
from services.kpi.schemas import KpiName, TicketSet

PATH = "/service-levels"
# Where each API answer is served to the browser instead.
_SERVED_AT = {
    f"{API_PREFIX}/kpis/evidence?": f"{PATH}/evidence?",
    f"{API_PREFIX}/kpis/tickets?": f"{PATH}/tickets?",
    f"{API_PREFIX}/availability?": f"{PATH}/availability?",
}
router = APIRouter(include_in_schema=False, route_class=WebRoute)
Period = Annotated[str, Query(max_length=10)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500)]


def for_browser(url: str) -> str:
    """The address of an evidence link of the API that a signed-in browser can follow."""
    for api, web in _SERVED_AT.items():
        if url.startswith(api):
            return web + url[len(api) :]
    return url


def _served(
    caller: Caller, permission: str, read: Callable[[Session, Principal], BaseModel]
) -> Response:
    """One API answer read under the session's principal, as the API's JSON."""
    caller.principal.require(permission)
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        found = read(session, caller.principal)
    return Response(found.model_dump_json(by_alias=True), media_type="application/json")


@router.get(PATH + "/evidence")
def evidence(
    caller: CallerDep, period: Period, kpi: KpiName, limit: Limit = 100, cursor: Cursor = None
) -> Response:
    """The tickets behind a clock figure, as GET /api/v1/kpis/evidence gives them."""
    return _served(
        caller,
        kpi_permissions.READ,
        lambda session, actor: kpi_api.read_evidence(session, actor, period, kpi, limit, cursor),
    )


@router.get(PATH + "/tickets")
def tickets(
    caller: CallerDep,
    period: Period,
    which: Annotated[TicketSet, Query(alias="set")],
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    """The tickets behind a count, as GET /api/v1/kpis/tickets gives them."""
    return _served(
        caller,
        kpi_permissions.READ,
        lambda session, actor: kpi_api.read_tickets(session, actor, period, which, limit, cursor),
    )


@router.get(PATH + "/availability")
def availability(
    caller: CallerDep,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
    scope: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A month's availability with every outage counted or excluded, as GET
    /api/v1/availability gives it."""
    return _served(
        caller,
        availability_permissions.READ,
        lambda session, actor: availability_api.month_availability(session, actor, month, scope),
    )
