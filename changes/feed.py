"""The tenant's changes as an iCalendar feed (RFC 5545), read by calendar programs through
an address that holds a revocable token: `rgf_<tenant>_<token id>_<secret>`. Only a digest
of the secret is stored. A wrong, unknown or revoked token finds no feed (404), so the
address says nothing about whether a tenant or token exists."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from changes import calendar, permissions, repository
from changes.errors import FeedNotFound
from changes.models import Change, ChangeStatus, FeedToken, Freeze
from core.db import unit_of_work
from core.errors import Unauthenticated
from core.identity import bearer_secrets
from core.identity.permissions import Principal
from core.types import utcnow

if TYPE_CHECKING:
    from icalendar import Event

PREFIX = "rgf"
PATH = "/calendar-feeds"
# Calendar programs show a feed's past too; a month back and a year ahead is what a CAB plans.
BEHIND, AHEAD = timedelta(days=31), timedelta(days=366)
_STATUS = {
    ChangeStatus.submitted: "TENTATIVE",
    ChangeStatus.assessed: "TENTATIVE",
}


def issue(session: Session, actor: Principal, *, name: str) -> tuple[FeedToken, str]:
    """A new feed token and the secret address part, shown this once."""
    actor.require(permissions.CONFIGURE)
    secret, secret_hash = bearer_secrets.new_secret()
    row = FeedToken(name=name, secret_hash=secret_hash, created_by=actor.label)
    session.add(row)
    session.flush()
    return row, bearer_secrets.compose(PREFIX, row.tenant_id, row.id, secret)


def list_tokens(session: Session, actor: Principal) -> list[FeedToken]:
    """The tenant's calendar feed tokens, for those who configure changes."""
    actor.require(permissions.CONFIGURE)
    return repository.feed_tokens(session)


def revoke(session: Session, actor: Principal, *, token_id: uuid.UUID) -> FeedToken:
    """Revoke at once: the next read of the feed with this token finds nothing."""
    actor.require(permissions.CONFIGURE)
    row = repository.feed_token(session, token_id)
    if row is None:
        raise FeedNotFound(f"No feed token with id {token_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def render(token: str) -> bytes:
    """The feed the token opens, read in its tenant's own scope; FeedNotFound otherwise."""
    try:
        tenant_id, row_id, secret = bearer_secrets.parse(token, PREFIX, "calendar feed token")
    except Unauthenticated:
        raise FeedNotFound("No calendar feed at this address.") from None
    with unit_of_work(tenant_id, read_only=True) as session:
        row = repository.feed_token(session, row_id)
        if row is None or row.revoked_at or not bearer_secrets.matches(row.secret_hash, secret):
            raise FeedNotFound("No calendar feed at this address.")
        now = utcnow()
        changes = repository.overlapping(session, now - BEHIND, now + AHEAD, calendar.SHOWN)
        freezes = repository.freezes(session, now - BEHIND, now + AHEAD)
        return _ical(changes, freezes)


def _ical(changes: list[Change], freezes: list[Freeze]) -> bytes:
    # Imported here: the library costs every API process memory, and feeds are read rarely.
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Regie//Changes//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Changes")
    for change in changes:
        assert change.planned_start is not None and change.planned_end is not None
        event = _event(
            change.id, f"{change.number} {change.title}", change.planned_start, change.planned_end
        )
        event.add("dtstamp", change.updated_at)
        event.add("status", _STATUS.get(change.status, "CONFIRMED"))
        risk = change.risk_class.value if change.risk_class else "not assessed"
        event.add("description", f"{change.type.value} change, {change.status.value}, risk {risk}")
        event.add("categories", ["change", change.type.value])
        cal.add_component(event)
    for freeze in freezes:
        event = _event(freeze.id, f"Change freeze: {freeze.name}", freeze.starts_at, freeze.ends_at)
        event.add("dtstamp", freeze.created_at)
        event.add("categories", ["freeze"])
        cal.add_component(event)
    return bytes(cal.to_ical())


def _event(uid: uuid.UUID, summary: str, start: datetime, end: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{uid}@regie")
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    return event
