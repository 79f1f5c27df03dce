"""Routes of the change calendar, freeze periods, feed tokens and the iCalendar feed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from operator import itemgetter
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic_core import to_json

from changes import calendar, feed, permissions
from changes.calendar_schemas import (
    CalendarOverview,
    CalendarPublic,
    FeedTokenCreate,
    FeedTokenIssued,
    FeedTokenList,
    FeedTokenPublic,
    FreezeCreate,
    FreezeList,
    FreezePublic,
    OverviewFreeze,
)
from changes.models import Freeze
from core.api.deps import SessionDep, require, require_any
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.schemas import ApiModel, QueryAwareDateTime
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from core.settings import get_settings

router = APIRouter(prefix=API_PREFIX, tags=["changes"], route_class=ThreadedRoute)
# Calendar programs cannot send a bearer token: the feed's address holds its own.
feed_router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.WRITE, permissions.APPROVE)]
Configurer = Annotated[Principal, require(permissions.CONFIGURE)]
FreezeReader = Annotated[Principal, require_any(permissions.READ, permissions.CONFIGURE)]


@router.get(
    "/change-calendar",
    response_model=CalendarPublic,
    summary="Changes planned in a period, with their conflicts",
    description="Every change whose window overlaps [from, to) (at most 400 days), with "
    "warnings: another live change on a shared service in an overlapping window, or a window "
    "in a freeze period.",
)
def get_calendar(
    session: SessionDep,
    actor: Reader,
    start: Annotated[QueryAwareDateTime, Query(alias="from")],
    end: Annotated[QueryAwareDateTime, Query(alias="to")],
) -> Response:
    entries, freezes = calendar.stored(session, actor, start=start, end=end)
    return _json([e.entry for e in entries], [FreezePublic.model_validate(f) for f in freezes])


def _json(items: list[str], freezes: Sequence[ApiModel]) -> Response:
    """The answer as its response model would serialise it (the model stays the route's
    documented answer), the entries' JSON as stored."""
    dumped = to_json([f.model_dump(mode="json", by_alias=True) for f in freezes]).decode()
    body = f'{{"items":[{",".join(items)}],"freezes":{dumped}}}'
    return Response(body.encode(), media_type="application/json")


@router.get(
    "/change-calendar/overview",
    response_model=CalendarOverview,
    summary="Changes planned in a period across every client",
    description="For supplier staff: the calendar of every client that granted them a role "
    "reading changes, each read under its own row-level security, merged by planned start.",
)
def get_overview(
    actor: Reader,
    start: Annotated[QueryAwareDateTime, Query(alias="from")],
    end: Annotated[QueryAwareDateTime, Query(alias="to")],
) -> Response:
    return overview_json(calendar.overview(actor, start=start, end=end))


def overview_json(found: list[calendar.TenantCalendar]) -> Response:
    """The overview's answer: every client's entries and freezes merged by planned start."""
    merged = sorted(
        ((e.planned_start, e.number, e.entry, t.tenant.slug) for t in found for e in t.entries),
        key=itemgetter(0, 1),
    )
    # An entry is a JSON object: the client's slug goes in before its closing brace.
    items = [f'{entry[:-1]},"tenant":{to_json(slug).decode()}}}' for *_, entry, slug in merged]
    freezes = [
        OverviewFreeze.model_validate(
            {**FreezePublic.model_validate(f).model_dump(), "tenant": t.tenant.slug}
        )
        for t in found
        for f in t.freezes
    ]
    freezes.sort(key=lambda f: f.starts_at)
    return _json(items, freezes)


@router.get("/change-freezes", response_model=FreezeList, summary="Freeze periods")
def list_freezes(session: SessionDep, actor: FreezeReader) -> FreezeList:
    rows = calendar.list_freezes(session, actor)
    return FreezeList(items=[FreezePublic.model_validate(r) for r in rows])


def _freeze(row: Freeze) -> tuple[FreezePublic, dict[str, str]]:
    return FreezePublic.model_validate(row), {"Location": f"{API_PREFIX}/change-freezes/{row.id}"}


@router.post(
    "/change-freezes",
    response_model=FreezePublic,
    status_code=201,
    summary="Freeze a period for all but emergency changes",
)
def create_freeze(
    body: FreezeCreate, session: SessionDep, actor: Configurer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[FreezePublic, dict[str, str]]:
        row = calendar.create_freeze(
            session, actor, name=body.name, starts_at=body.starts_at, ends_at=body.ends_at
        )
        return _freeze(row)

    return idem.respond(session, actor, produce)


@router.delete("/change-freezes/{freezeId}", status_code=204, summary="Lift a freeze period")
def delete_freeze(
    freeze_id: Annotated[uuid.UUID, Path(alias="freezeId")],
    session: SessionDep,
    actor: Configurer,
) -> Response:
    calendar.delete_freeze(session, actor, freeze_id=freeze_id)
    return Response(status_code=204)


@router.get(
    "/change-calendar/feed-tokens", response_model=FeedTokenList, summary="Calendar feed tokens"
)
def list_feed_tokens(session: SessionDep, actor: Configurer) -> FeedTokenList:
    rows = feed.list_tokens(session, actor)
    return FeedTokenList(items=[FeedTokenPublic.model_validate(r) for r in rows])


@router.post(
    "/change-calendar/feed-tokens",
    response_model=FeedTokenIssued,
    status_code=201,
    summary="Open an iCalendar feed of the changes",
    description="The answer holds the feed's address once; revoking the token closes it.",
)
def issue_feed_token(
    body: FeedTokenCreate, session: SessionDep, actor: Configurer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[FeedTokenIssued, dict[str, str]]:
        row, token = feed.issue(session, actor, name=body.name)
        url = f"{get_settings().public_url}{feed.PATH}/{token}"
        answer = FeedTokenIssued.model_validate(
            {**row.model_dump(include=set(FeedTokenPublic.model_fields)), "feed_url": url}
        )
        return answer, {"Location": f"{API_PREFIX}/change-calendar/feed-tokens/{row.id}"}

    return idem.respond(session, actor, produce)


@router.delete(
    "/change-calendar/feed-tokens/{tokenId}",
    response_model=FeedTokenPublic,
    summary="Revoke a calendar feed token",
)
def revoke_feed_token(
    token_id: Annotated[uuid.UUID, Path(alias="tokenId")],
    session: SessionDep,
    actor: Configurer,
) -> FeedTokenPublic:
    return FeedTokenPublic.model_validate(feed.revoke(session, actor, token_id=token_id))


@feed_router.get(feed.PATH + "/{token}")
def calendar_feed(token: Annotated[str, Path(max_length=300)]) -> Response:
    # The address is the credential: no shared cache may keep what it opens.
    headers = {"Cache-Control": "private, no-store"}
    return Response(feed.render(token), media_type="text/calendar; charset=utf-8", headers=headers)
