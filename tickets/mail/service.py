"""Reading the mailbox and setting one's notification address. Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from core.api.etag import check_if_match
from core.errors import NotFound
from core.identity.permissions import Principal
from core.types import utcnow
from tickets.mail import permissions, repository
from tickets.mail.models import Mail, MailAddress


def list_mail(
    session: Session,
    actor: Principal,
    *,
    recipient_id: uuid.UUID | None,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Mail], list[Any] | None]:
    """One page of notifications, newest first: the caller's own, or with the permission to
    read all, the whole tenant's (optionally one recipient's)."""
    if not actor.can(permissions.READ_ALL):
        if recipient_id not in (None, actor.actor_id):
            actor.require(permissions.READ_ALL)
        recipient_id = actor.actor_id
    rows = repository.page(session, recipient_id=recipient_id, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1]) if more else None


def get_address(session: Session, actor: Principal) -> MailAddress:
    """The caller's notification address, or NotFound."""
    found = repository.address(session, actor.actor_id)
    if found is None:
        raise NotFound("You have not set an address for notifications.")
    return found


def set_address(
    session: Session, actor: Principal, *, email: str, if_match: str | None
) -> tuple[MailAddress, bool]:
    """Set the caller's address; replacing one needs If-Match. Returns it and whether it is
    new."""
    found = repository.address(session, actor.actor_id)
    if found is None:
        found = MailAddress(person_id=actor.actor_id, email=email)
        session.add(found)
        session.flush()
        return found, True
    check_if_match(if_match, found.version)
    if found.email != email:
        found.email, found.version, found.updated_at = email, found.version + 1, utcnow()
        session.flush()
    return found, False
