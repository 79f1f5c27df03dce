"""The post-implementation review: how the change went, the incidents it caused, and the
lessons. A failed or rolled-back change is closed only once it was reviewed. Never commits."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from changes import permissions, repository
from changes.errors import AlreadyExists, NotReady, ReviewNotFound, TransitionRefused
from changes.models import Change, ChangeEventKind, ChangeStatus, Review
from changes.schemas import ReviewCreate
from changes.service import get_change, invalid, raise_invalid, record
from core.db import touch
from core.identity.permissions import Principal
from tickets import public as tickets

REVIEWABLE = frozenset({ChangeStatus.implemented, ChangeStatus.failed, ChangeStatus.rolled_back})
MUST_REVIEW = frozenset({ChangeStatus.failed, ChangeStatus.rolled_back})


def create_review(
    session: Session, actor: Principal, *, change_id: uuid.UUID, data: ReviewCreate
) -> Review:
    """Review the change once; every incident named must be one of the tenant's incidents."""
    actor.require(permissions.WRITE)
    change = get_change(session, actor, change_id=change_id, for_update=True)
    if change.status not in REVIEWABLE:
        raise TransitionRefused(f"A {change.status.value} change is not reviewed.")
    if repository.review(session, change.id) is not None:
        raise AlreadyExists("This change was reviewed already.")
    found = []
    for i, ticket_id in enumerate(data.incident_ids):
        ticket = tickets.ticket_ref(session, ticket_id)
        if ticket is None or ticket.type != "incident":
            found.append(invalid(f"incidentIds.{i}", "no incident of this organisation"))
    raise_invalid(found)
    row = Review(
        change_id=change.id,
        outcome=data.outcome,
        incident_ids=[str(t) for t in data.incident_ids],
        lessons=data.lessons,
        reviewed_by=actor.label,
        reviewed_by_name=actor.name,
    )
    session.add(row)
    record(session, actor, change, ChangeEventKind.reviewed, after=data.outcome.value)
    touch(session, change)
    return row


def get_review(session: Session, actor: Principal, *, change_id: uuid.UUID) -> Review:
    """The change's review, or ReviewNotFound while it has none."""
    get_change(session, actor, change_id=change_id)
    row = repository.review(session, change_id)
    if row is None:
        raise ReviewNotFound("This change has no review yet.")
    return row


def refuse_unreviewed_close(session: Session, change: Change) -> None:
    """A failed or rolled-back change is closed only after its review."""
    if change.status in MUST_REVIEW and repository.review(session, change.id) is None:
        raise NotReady(
            f"Review the {change.status.value} change before closing it.",
            invalidParams=[invalid("review", "required")],
        )
