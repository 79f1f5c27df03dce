"""Routes of the KPI figures, their evidence and the exclusions: parse, call one service
function, answer."""

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
from services.kpi import evidence, exclusions, frozen, permissions, service, ticket_sets
from services.kpi import figures as f
from services.kpi.models import Exclusion, ExclusionState
from services.kpi.schemas import (
    Assessment,
    ChangeEvidence,
    ChangeKpi,
    CountedTicketPage,
    EvidencePage,
    ExclusionCreate,
    ExclusionDecisionCreate,
    ExclusionPage,
    ExclusionPublic,
    KpiFigures,
    KpiName,
    Overview,
    TicketSet,
    exclusion_public,
)

router = APIRouter(prefix=API_PREFIX + "/kpis", tags=["service levels"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require(permissions.READ)]
Proposer = Annotated[Principal, require(permissions.PROPOSE)]
Decider = Annotated[Principal, require(permissions.DECIDE)]
ExclusionId = Annotated[uuid.UUID, Path(alias="exclusionId")]
PeriodQuery = Annotated[
    str, Query(max_length=10, description="A month (2026-11), quarter (2026-Q4) or year (2026)")
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


CLOSED_HEADER = "Regie-Closed-Month"


@router.get(
    "",
    response_model=KpiFigures,
    summary="A tenant's KPI figures for a period",
    description="Norms are the agreement version's in effect at the period's end (its last "
    "moment); each month's availability uses the version in effect at that month's end, as "
    "/availability does.",
)
def read_figures(
    session: SessionDep, actor: Reader, period: PeriodQuery, response: Response
) -> KpiFigures:
    """A closed month answers its frozen figures, with `Regie-Closed-Month: true` (the state
    is a header so the body stays the bytes served when the month was closed)."""
    figures = service.read_figures(session, actor, period=period)
    closed = frozen.is_closed(session, f.parse_period(period))
    response.headers[CLOSED_HEADER] = "true" if closed else "false"
    return figures


@router.get("/evidence", response_model=EvidencePage, summary="The tickets behind a figure")
def read_evidence(
    session: SessionDep,
    actor: Reader,
    period: PeriodQuery,
    kpi: KpiName,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> EvidencePage:
    return evidence.read_evidence(
        session, actor, period=period, kpi=kpi, limit=limit, cursor=cursor
    )


@router.get(
    "/change-evidence",
    response_model=ChangeEvidence,
    summary="The changes behind a change figure",
    description="Computed from the stored changes, also for a closed month.",
)
def read_change_evidence(
    session: SessionDep, actor: Reader, period: PeriodQuery, kpi: ChangeKpi
) -> ChangeEvidence:
    return service.read_change_evidence(session, actor, period=period, kpi=kpi)


@router.get("/tickets", response_model=CountedTicketPage, summary="The tickets behind a count")
def read_tickets(
    session: SessionDep,
    actor: Reader,
    period: PeriodQuery,
    which: Annotated[TicketSet, Query(alias="set")],
    limit: Limit = 100,
    cursor: Cursor = None,
) -> CountedTicketPage:
    return ticket_sets.read_tickets(
        session, actor, period=period, which=which, limit=limit, cursor=cursor
    )


@router.get("/overview", response_model=Overview, summary="Headline figures per tenant")
def read_overview(actor: Reader, period: PeriodQuery) -> Overview:
    return service.overview(actor, period=period)


@router.get("/assessment", response_model=Assessment, summary="The yearly assessment")
def read_assessment(
    session: SessionDep,
    actor: Reader,
    year: Annotated[int, Query(ge=1900, le=9998, description="e.g. 2026")],
) -> Assessment:
    return service.assessment(session, actor, year=year)


def _answer(row: Exclusion, response: Response) -> ExclusionPublic:
    response.headers["ETag"] = etag(row.version)
    return exclusion_public(row)


@router.get("/exclusions", response_model=ExclusionPage, summary="List exclusions")
def list_exclusions(
    session: SessionDep,
    actor: Reader,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM")] = None,
    state: ExclusionState | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ExclusionPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = exclusions.list_exclusions(
        session, actor, month=month, state=state, limit=limit, after=after
    )
    return ExclusionPage(
        items=[exclusion_public(r) for r in rows], next_cursor=encode_cursor(last) if last else None
    )


@router.post(
    "/exclusions", response_model=ExclusionPublic, status_code=201, summary="Propose an exclusion"
)
def propose_exclusion(
    body: ExclusionCreate, session: SessionDep, actor: Proposer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ExclusionPublic, dict[str, str]]:
        row = exclusions.propose(session, actor, data=body)
        headers = {"ETag": etag(row.version), "Location": f"{API_PREFIX}/kpis/exclusions/{row.id}"}
        return exclusion_public(row), headers

    return idem.respond(session, actor, produce)


@router.get("/exclusions/{exclusionId}", response_model=ExclusionPublic, summary="Get an exclusion")
def get_exclusion(
    exclusion_id: ExclusionId, session: SessionDep, actor: Reader, response: Response
) -> ExclusionPublic:
    return _answer(exclusions.get_exclusion(session, actor, exclusion_id=exclusion_id), response)


@router.post(
    "/exclusions/{exclusionId}/decisions",
    response_model=ExclusionPublic,
    summary="Accept or reject an exclusion",
    description="Decided by the client's side, by another person than the one who proposed "
    "it: 403 for the proposer, for whoever may propose or holds a supplier role, and for a "
    "person signed in through another directory than the client's.",
)
def decide_exclusion(
    exclusion_id: ExclusionId,
    body: ExclusionDecisionCreate,
    session: SessionDep,
    actor: Decider,
    response: Response,
    if_match: IfMatch = None,
) -> ExclusionPublic:
    row = exclusions.decide(session, actor, exclusion_id=exclusion_id, data=body, if_match=if_match)
    return _answer(row, response)
