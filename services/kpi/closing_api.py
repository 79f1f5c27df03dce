"""Routes of closed months: close one, read the snapshots and their signature state, compare
with now. There is no route that changes or removes a closed month."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.kpi import closing, permissions
from services.kpi.closing import closed_month_public
from services.kpi.schemas import ClosedMonthCreate, ClosedMonthPage, ClosedMonthPublic, Comparison

router = APIRouter(
    prefix=API_PREFIX + "/kpis/closed-months", tags=["service levels"], route_class=ThreadedRoute
)

Reader = Annotated[Principal, require(permissions.READ)]
Closer = Annotated[Principal, require(permissions.CLOSE)]
Month = Annotated[str, Path(alias="closedMonth", max_length=7, description="YYYY-MM")]


@router.get("", response_model=ClosedMonthPage, summary="List closed months, newest first")
def list_closed_months(
    session: SessionDep,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ClosedMonthPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = closing.list_closed_months(session, actor, limit=limit, after=after)
    return ClosedMonthPage(
        items=[closed_month_public(r) for r in rows],
        next_cursor=encode_cursor(last) if last else None,
    )


@router.post(
    "",
    response_model=ClosedMonthPublic,
    status_code=201,
    summary="Close a month: freeze its figures as a snapshot the worker signs",
    description=(
        "Freezes the month's figures and the digest of its evidence at once: the answer is the "
        "closed month (201), and from now on the month's figures are the snapshot's. The "
        "signature is added asynchronously by the worker, which holds the audit signing key "
        '(the API does not): the answer shows `signatureState` "pending", with `signature`, '
        "`keyId` and `signatureValid` null, and GET /kpis/closed-months/{closedMonth} shows it "
        '"valid" once signed, within seconds. The request to sign is stored with the '
        "snapshot, so it is carried out even if a process stops in between; a month is signed "
        "once."
    ),
)
def close_month(
    body: ClosedMonthCreate, session: SessionDep, actor: Closer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ClosedMonthPublic, dict[str, str]]:
        row = closing.close_month(session, actor, data=body)
        snapshot = closed_month_public(row)
        return snapshot, {"Location": f"{API_PREFIX}/kpis/closed-months/{snapshot.month}"}

    return idem.respond(session, actor, produce)


@router.get("/{closedMonth}", response_model=ClosedMonthPublic, summary="A closed month's snapshot")
def get_closed_month(month: Month, session: SessionDep, actor: Reader) -> ClosedMonthPublic:
    return closed_month_public(closing.get_closed_month(session, actor, month=month))


@router.get(
    "/{closedMonth}/comparison",
    response_model=Comparison,
    summary="A closed month against its figures computed now",
)
def compare_closed_month(month: Month, session: SessionDep, actor: Reader) -> Comparison:
    return closing.compare(session, actor, month=month)
