"""The outages page: per month, the availability of the whole service, the platform, the
application and each catalogue service that was down, with every outage counted or left out
and why. Read through the same function as GET /api/v1/availability, under the signed-in
person's own principal.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from core.db import unit_of_work
from core.errors import InvalidInput
from core.identity.permissions import Principal
from regie.web import link, pick_language
from regie.web.figures import AVAILABILITY, Formatter
from regie.web.service_levels import last_full_month
from regie.web.tickets import CallerDep, WebRoute, page
from services.availability import api as availability_api
from services.availability import permissions as availability_permissions
from services.availability.schemas import MONTH_PATTERN, Availability
from services.catalogue import service as catalogue
from services.catalogue.errors import EntryNotFound
from services.reports.data import first_of, shift
from services.sla.service import today

PATH = "/outages"
SCOPES = {"platform": "Platform", "application": "Application", "service": "Service"}
CAUSES = {
    "supplier": "The supplier",
    "client-landscape": "The client's landscape",
    "third-party": "A third party",
    "internet": "The internet",
    "unknown": "Unknown",
}
REASONS = {
    "planned maintenance": "Planned maintenance",
    "excluded by agreement": "Left out by agreement",
    "outside service hours": "Outside service hours",
}
NOT_ATTRIBUTABLE = "not attributable: "

router = APIRouter(include_in_schema=False, route_class=WebRoute)
MonthQuery = Annotated[str, Query(max_length=7)]


@router.get(PATH)
def outages(request: Request, caller: CallerDep, month: MonthQuery = "") -> Response:
    """A month's availability per service and its outages, for client and supplier alike."""
    shown = month.strip() or last_full_month()
    if not re.match(MONTH_PATTERN, shown):
        why = "give a month as YYYY-MM"
        raise InvalidInput(f"month: {why}.", invalidParams=[{"name": "month", "reason": why}])
    principal = caller.principal
    principal.require(availability_permissions.READ)
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        overall = _read(session, principal, shown, None)
        scopes = [("all", "All services", overall)]
        for scope in ("platform", "application"):
            scopes.append((scope, SCOPES[scope], _read(session, principal, shown, scope)))
        names = _services_down(session, principal, overall)
        for service_id, name in names.items():
            scopes.append(
                (str(service_id), name, _read(session, principal, shown, str(service_id)))
            )
    fmt = Formatter(pick_language(request))
    first = date(int(shown[:4]), int(shown[5:]), 1)
    after = shift(first, 1)
    return page(
        request,
        "outages.html",
        month=shown,
        month_name=fmt.month(first),
        previous=_month_link(request, shift(first, -1), fmt),
        next=_month_link(request, after, fmt) if after <= first_of(today()) else None,
        scopes=[_scope_view(key, name, figure, fmt) for key, name, figure in scopes],
        outages=_outage_rows(overall, names, fmt),
    )


def _read(session: Session, principal: Principal, month: str, scope: str | None) -> Availability:
    return availability_api.month_availability(session, principal, month, scope)


def _services_down(
    session: Session, principal: Principal, overall: Availability
) -> dict[uuid.UUID, str]:
    """The catalogue services with an outage of their own this month, in order of name."""
    ids = {o.service_id for o in [*overall.counted, *overall.excluded] if o.service_id}
    found = []
    for service_id in ids:
        try:
            entry = catalogue.get_entry(session, principal, entry_id=service_id)
        except EntryNotFound:
            continue
        found.append((service_id, f"{entry.name} ({entry.code})"))
    return dict(sorted(found, key=lambda pair: pair[1]))


def _month_link(request: Request, month: date, fmt: Formatter) -> tuple[str, str]:
    return link(request, PATH, month=f"{month:%Y-%m}"), fmt.month(month)


def _scope_view(key: str, name: str, figure: Availability, fmt: Formatter) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "value": fmt.percent(figure.availability_percent, AVAILABILITY),
        "norm": fmt.percent(figure.norm, AVAILABILITY),
        "meets": figure.meets_norm,
        "downtime": fmt.decimal(figure.downtime_seconds / 3600.0),
        "service": fmt.decimal(figure.service_seconds / 3600.0),
        "counted": fmt.count(len(figure.counted)),
        "excluded": fmt.count(len(figure.excluded)),
    }


def _outage_rows(
    overall: Availability, names: dict[uuid.UUID, str], fmt: Formatter
) -> list[dict[str, Any]]:
    """Every outage of the month, counted first, in the order they began."""
    rows = []
    for outage in overall.counted:
        rows.append(_row(outage, names, fmt, counted=fmt.decimal(outage.counted_seconds / 3600.0)))
    for left_out in overall.excluded:
        rows.append(_row(left_out, names, fmt, reason=_reason(left_out.reason)))
    return sorted(rows, key=lambda row: row["start_at"])


def _row(outage: Any, names: dict[uuid.UUID, str], fmt: Formatter, **extra: Any) -> dict[str, Any]:
    scope = outage.scope.value
    return {
        "number": outage.number,
        "start_at": outage.start,
        "start": fmt.moment(outage.start),
        "end": fmt.moment(outage.end) if outage.end else None,
        "scope": SCOPES.get(scope, scope),
        "service": names.get(outage.service_id) if outage.service_id else None,
        "cause": CAUSES.get(outage.cause.value, outage.cause.value),
        "description": outage.description,
        "counted": extra.get("counted"),
        "reason": extra.get("reason"),
    }


def _reason(reason: str) -> tuple[str, str | None]:
    """The reason an outage is left out, as a message and, if any, the cause it names."""
    if reason.startswith(NOT_ATTRIBUTABLE):
        cause = reason[len(NOT_ATTRIBUTABLE) :]
        return "Not attributable to the supplier", CAUSES.get(cause, cause)
    return REASONS.get(reason, reason), None
