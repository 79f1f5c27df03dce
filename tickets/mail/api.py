"""Routes of the local mailbox: the notifications kept for people, and their address."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from core.api.deps import SessionDep, require_any
from core.api.etag import OPTIONAL_IF_MATCH, etag
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from tickets import permissions as tickets
from tickets.mail import permissions, service
from tickets.mail.schemas import AddressPublic, AddressUpdate, MailPage, MailPublic

router = APIRouter(
    prefix=API_PREFIX + "/mailbox", tags=["notifications"], route_class=ThreadedRoute
)

# Whoever takes part in tickets may be notified.
Person = Annotated[
    Principal,
    require_any(tickets.REPORT, tickets.READ, tickets.WORK, permissions.READ_ALL),
]


@router.get("", response_model=MailPage, summary="Your notifications")
def list_mail(
    session: SessionDep,
    actor: Person,
    recipient_id: Annotated[
        uuid.UUID | None,
        Query(alias="recipientId", description="Someone else's: needs tickets:mail-read"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> MailPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_mail(
        session, actor, recipient_id=recipient_id, limit=limit, after=after
    )
    items = [MailPublic.model_validate(r) for r in rows]
    return MailPage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.get(
    "/address",
    response_model=AddressPublic,
    summary="Your notification address",
    responses={404: {"description": "You have not set an address yet"}},
)
def get_address(session: SessionDep, actor: Person, response: Response) -> AddressPublic:
    found = service.get_address(session, actor)
    response.headers["ETag"] = etag(found.version)
    return AddressPublic.model_validate(found)


@router.put(
    "/address",
    response_model=AddressPublic,
    summary="Set your notification address",
    description="Notifications are mailed here when an SMTP server is configured. Replacing "
    "an address needs If-Match; 201 when it is set for the first time.",
    responses={201: {"description": "Set for the first time", "model": AddressPublic}},
)
def set_address(
    body: AddressUpdate,
    session: SessionDep,
    actor: Person,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match", description=OPTIONAL_IF_MATCH)] = None,
) -> AddressPublic:
    found, created = service.set_address(session, actor, email=body.email, if_match=if_match)
    response.status_code = 201 if created else 200
    response.headers["ETag"] = etag(found.version)
    return AddressPublic.model_validate(found)
