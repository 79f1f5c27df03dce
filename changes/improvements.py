"""A change's post-implementation review raises an improvement in one step, and a change names
the improvement it realises. Both links live on the item (its source, its changes), so the
change stores nothing new; the change's side reads its items back through the register's
public functions."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from changes import permissions, repository
from changes.review import get_review
from changes.service import get_change
from core.errors import InvalidInput
from core.identity.permissions import Principal
from services.improvement import public as improvement

SOURCE = improvement.ImprovementSource.post_implementation_review


def change_exists(session: Session, change_id: uuid.UUID) -> bool:
    """Whether an item may name this id as its review's change (the session's tenant only)."""
    return repository.get(session, change_id) is not None


def propose(
    session: Session,
    actor: Principal,
    *,
    change_id: uuid.UUID,
    data: improvement.ImprovementFromSource,
) -> improvement.ImprovementPublic:
    """A proposed improvement whose source is the change's review, with the review's lessons
    as its description unless given; 404 while the change has no review."""
    actor.require(improvement.PROPOSE)
    change = get_change(session, actor, change_id=change_id)
    review = get_review(session, actor, change_id=change_id)
    body = improvement.ImprovementCreate.model_validate(
        {
            "title": f"{change.number}: {change.title}"[:200],
            "description": review.lessons,
            **data.model_dump(exclude_none=True),
            "source_kind": SOURCE,
            "source_id": change.id,
        }
    )
    return improvement.propose(session, actor, data=body)


def items(
    session: Session, actor: Principal, *, change_id: uuid.UUID
) -> list[improvement.ImprovementPublic]:
    """The improvements the change's review led to, oldest first."""
    actor.require(improvement.READ)
    get_change(session, actor, change_id=change_id)
    return improvement.items_of_source(session, kind=SOURCE, source_id=change_id)


def realise(
    session: Session, actor: Principal, *, change_id: uuid.UUID, improvement_id: uuid.UUID
) -> improvement.ImprovementPublic:
    """Record that the change realises the improvement, so the item lists it and its
    evaluation can be read against it; 400 for an item the tenant does not have, 409 for a
    closed one."""
    actor.require(permissions.WRITE)
    get_change(session, actor, change_id=change_id)
    try:
        return improvement.link_change(session, item_id=improvement_id, change_id=change_id)
    except improvement.ImprovementNotFound:
        why = "no improvement with this id"
        raise InvalidInput(
            "Invalid: improvementId.",
            invalidParams=[{"name": "improvementId", "pointer": "/improvementId", "reason": why}],
        ) from None
