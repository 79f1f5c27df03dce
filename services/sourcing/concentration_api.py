"""Routes of the concentration report: per tenant and across tenants, as JSON, CSV or ODS
(chosen with ?format=, else by the Accept header)."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from cmdb.public import DEFAULT_DEPTH, MAX_DEPTH
from core.api.deps import SessionDep, require_any
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.sourcing import concentration, permissions
from services.sourcing import concentration_export as export
from services.sourcing.schemas import Concentration, ConcentrationOverview

router = APIRouter(prefix=API_PREFIX + "/sourcing", tags=["sourcing"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.MANAGE)]
CSV, ODS = "text/csv", "application/vnd.oasis.opendocument.spreadsheet"


class Format(enum.StrEnum):
    json = "json"
    csv = "csv"
    ods = "ods"


Depth = Annotated[int, Query(ge=1, le=MAX_DEPTH, description="How many relations a path may take")]
FormatQuery = Annotated[
    Format | None, Query(alias="format", description="json, csv or ods; else by Accept")
]
Accept = Annotated[str | None, Header(include_in_schema=False)]


FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV: {"schema": {"type": "string"}},
            ODS: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "The report; CSV and ODS hold one row per line of the table",
    }
}


def _chosen(fmt: Format | None, accept: str | None) -> Format:
    if fmt is not None:
        return fmt
    given = (accept or "").lower()
    if CSV in given:
        return Format.csv
    if ODS in given:
        return Format.ods
    return Format.json


def _file(fmt: Format, name: str, columns: Any, rows: Any) -> Response:
    if fmt == Format.csv:
        content, media = export.as_csv(columns, rows), f"{CSV}; charset=utf-8"
    else:
        content, media = export.as_ods(name, columns, rows), ODS
    disposition = f'attachment; filename="{name}.{fmt.value}"'
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


@router.get(
    "/concentration",
    response_model=Concentration,
    summary="Critical services per supplier, and data outside the EU",
    description="Per supplier: the critical services (CIs with criticality high or vital) that "
    "depend on it directly, through the CI graph, or through the supplier above it, and the "
    "countries outside the EU where it processes data. The supplier's CI (ciId) is where the "
    "graph meets the register.",
    responses=FILES,
)
def tenant_concentration(
    session: SessionDep,
    actor: Reader,
    depth: Depth = DEFAULT_DEPTH,
    fmt: FormatQuery = None,
    accept: Accept = None,
) -> Any:
    found = concentration.concentration(session, actor, depth=depth)
    chosen = _chosen(fmt, accept)
    if chosen == Format.json:
        return found
    rows = export.tenant_rows(found)
    return _file(chosen, "regie-concentration", export.TENANT_COLUMNS, rows)


@router.get(
    "/concentration/overview",
    response_model=ConcentrationOverview,
    summary="The concentration report across the clients you serve",
    description="One row per client and supplier, for every client where you may read the "
    "sourcing register: which supplier carries critical services of several clients.",
    responses=FILES,
)
def overview(
    actor: Reader, depth: Depth = DEFAULT_DEPTH, fmt: FormatQuery = None, accept: Accept = None
) -> Any:
    found = concentration.overview(actor, depth=depth)
    chosen = _chosen(fmt, accept)
    if chosen == Format.json:
        return found
    rows = export.overview_rows(found)
    return _file(chosen, "regie-concentration-overview", export.OVERVIEW_COLUMNS, rows)
