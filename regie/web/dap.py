"""The DAP page: the service delivery agreements a client and supplier keep - who receives
which report, whom to escalate to, the maintenance windows and the channels - as the version
in effect today, or any earlier or later version. Read through the DAP service under the
signed-in person's own principal: the same versions GET /api/v1/dap gives.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.db import unit_of_work
from regie.web import link, pick_language
from regie.web.figures import Formatter
from regie.web.tickets import CallerDep, WebRoute, page
from services.dap import permissions as dap_permissions
from services.dap import service as dap
from services.dap.errors import NoDap, VersionNotFound
from services.dap.models import DapVersion
from services.dap.schemas import DapPublic, dap_public

PATH = "/dap"
DAYS = {
    "monday": "Monday",
    "tuesday": "Tuesday",
    "wednesday": "Wednesday",
    "thursday": "Thursday",
    "friday": "Friday",
    "saturday": "Saturday",
    "sunday": "Sunday",
}
SIDES = {"client": "Client", "supplier": "Supplier"}
CHANNELS = {
    "e-mail": "E-mail",
    "phone": "Phone",
    "portal": "Portal",
    "teams": "Teams",
    "other": "Other",
}

router = APIRouter(include_in_schema=False, route_class=WebRoute)


@router.get(PATH)
def current(request: Request, caller: CallerDep) -> Response:
    """The DAP in effect today, and the list of every version."""
    principal = caller.principal
    principal.require(dap_permissions.READ)
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        versions = dap.list_versions(session, principal)
        try:
            shown: DapVersion | None = dap.current_version(session, principal, at=None)
        except NoDap:
            shown = None
    return _page(request, versions, shown, in_effect=shown)


@router.get(PATH + "/versions/{version_id}")
def version(request: Request, caller: CallerDep, version_id: str) -> Response:
    """One version of the DAP; another tenant's id is as unknown as a made-up one."""
    principal = caller.principal
    principal.require(dap_permissions.READ)
    try:
        wanted = uuid.UUID(version_id)
    except ValueError:
        raise VersionNotFound("No such DAP version.") from None
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        shown = dap.get_version(session, principal, version_id=wanted)
        versions = dap.list_versions(session, principal)
        try:
            in_effect: DapVersion | None = dap.current_version(session, principal, at=None)
        except NoDap:
            in_effect = None
    return _page(request, versions, shown, in_effect=in_effect)


def _page(
    request: Request,
    versions: list[DapVersion],
    shown: DapVersion | None,
    *,
    in_effect: DapVersion | None,
) -> Response:
    fmt = Formatter(pick_language(request))
    return page(
        request,
        "dap.html",
        dap=_view(dap_public(shown), fmt) if shown else None,
        is_current=shown is not None and in_effect is not None and shown.id == in_effect.id,
        versions=[
            {
                "number": v.number,
                "from": fmt.day(v.effective_from),
                "href": link(request, f"{PATH}/versions/{v.id}"),
                "shown": shown is not None and v.id == shown.id,
                "current": in_effect is not None and v.id == in_effect.id,
            }
            for v in versions
        ],
        days=DAYS,
        sides=SIDES,
        channel_names=CHANNELS,
    )


def _view(found: DapPublic, fmt: Formatter) -> dict[str, Any]:
    """The version as the page writes it: days and moments in the reader's language."""
    return {
        "version": found.version,
        "from": fmt.day(found.effective_from),
        "recipients": found.report_recipients,
        "contacts": found.escalation_contacts,
        "weekly": found.maintenance_windows.weekly,
        "one_off": [
            {"start": fmt.moment(w.start), "end": fmt.moment(w.end), "text": w.description}
            for w in found.maintenance_windows.one_off
        ],
        "channels": found.channels,
        "notes": found.notes,
    }
