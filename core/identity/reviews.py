"""Access reviews: a named reviewer confirms or revokes each grant; revocation is immediate.

A campaign snapshots every active grant with who granted it, since when, and the subject's
last sign-in, so the reviewer decides on facts; the results export as CSV.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.identity import grants
from core.identity.models import (
    AccessReview,
    AccessReviewItem,
    Grant,
    GrantFacts,
    ReviewDecision,
    WebSession,
)
from core.identity.permissions import Principal, declare
from core.types import utcnow

MANAGE = declare("identity.reviews:manage", "Start access reviews and read their results")
DECIDE = declare("identity.reviews:decide", "Decide in an access review one is named reviewer of")


def start_review(
    session: Session,
    actor: Principal,
    *,
    name: str,
    reviewer_tid: uuid.UUID | None,
    reviewer_oid: uuid.UUID,
    reviewer_name: str,
    due_at: datetime,
) -> AccessReview:
    """Open a campaign over every active grant of this tenant."""
    actor.require(MANAGE)
    if due_at <= utcnow():
        raise InvalidInput("The due date must lie in the future.")
    review = AccessReview(
        name=name,
        reviewer_tid=reviewer_tid,
        reviewer_oid=reviewer_oid,
        reviewer_name=reviewer_name,
        due_at=due_at,
        started_by=actor.label,
    )
    session.add(review)
    session.flush()
    active = select(Grant).where(col(Grant.revoked_at).is_(None))
    for grant in session.exec(active.order_by(col(Grant.granted_at))):
        facts = {name: getattr(grant, name) for name in GrantFacts.model_fields}
        last = _last_sign_in(session, grant.subject_tid, grant.subject_oid)
        item = AccessReviewItem(
            review_id=review.id, grant_id=grant.id, last_sign_in_at=last, **facts
        )
        session.add(item)
    session.flush()
    return review


def _last_sign_in(session: Session, tid: uuid.UUID, oid: uuid.UUID) -> datetime | None:
    stmt = select(func.max(WebSession.created_at)).where(
        WebSession.user_tid == tid, WebSession.user_oid == oid
    )
    return session.exec(stmt).one()


def list_reviews(session: Session, actor: Principal) -> list[AccessReview]:
    """The tenant's access reviews, newest first, for access managers."""
    actor.require(MANAGE)
    return list(session.exec(select(AccessReview).order_by(col(AccessReview.started_at).desc())))


def named_in(session: Session, actor: Principal) -> list[AccessReview]:
    """The reviews `actor` is the named reviewer of, newest first: a reviewer who does not
    manage reviews still finds the ones waiting for their decisions."""
    actor.require(DECIDE)
    stmt = select(AccessReview).where(
        AccessReview.reviewer_oid == actor.actor_id, AccessReview.reviewer_tid == actor.directory_id
    )
    return list(session.exec(stmt.order_by(col(AccessReview.started_at).desc())))


def get_review(
    session: Session, actor: Principal, *, review_id: uuid.UUID
) -> tuple[AccessReview, list[AccessReviewItem]]:
    """For the tenant's review managers and for the campaign's own reviewer."""
    review = session.exec(select(AccessReview).where(AccessReview.id == review_id)).first()
    if review is None or not (actor.can(MANAGE) or is_reviewer(actor, review)):
        raise NotFound(f"No access review with id {review_id}.")
    items = select(AccessReviewItem).where(AccessReviewItem.review_id == review_id)
    return review, list(session.exec(items.order_by(col(AccessReviewItem.granted_at))))


def decide(
    session: Session,
    actor: Principal,
    *,
    review_id: uuid.UUID,
    item_id: uuid.UUID,
    decision: ReviewDecision,
    note: str,
) -> AccessReviewItem:
    """The reviewer's decision; 'revoked' revokes the grant in the same transaction."""
    review, items = get_review(session, actor, review_id=review_id)
    if not is_reviewer(actor, review):
        raise Forbidden("Only the named reviewer decides in this review.")
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise NotFound(f"No item {item_id} in this review.")
    if item.decision != ReviewDecision.pending or decision == ReviewDecision.pending:
        raise Conflict("This item is already decided.")
    item.decision, item.decided_at, item.note = decision, utcnow(), note
    if decision == ReviewDecision.revoked:
        grants.revoke(session, grant_id=item.grant_id, by=f"review:{review.id}")
    if all(i.decision != ReviewDecision.pending for i in items):
        review.completed_at = utcnow()
    session.flush()
    return item


def is_reviewer(actor: Principal, review: AccessReview) -> bool:
    """Whether the caller is the person named to carry out this review."""
    return actor.actor_id == review.reviewer_oid and actor.directory_id == review.reviewer_tid


def is_overdue(review: AccessReview) -> bool:
    """Whether an open review has passed its due date."""
    return review.completed_at is None and review.due_at < utcnow()


def export_csv(review: AccessReview, items: list[AccessReviewItem]) -> str:
    """A review with its decisions as CSV, for the auditor's file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "review",
            "subject_kind",
            "subject_tid",
            "subject_oid",
            "subject_name",
            "role",
            "granted_by",
            "granted_at",
            "last_sign_in_at",
            "decision",
            "decided_at",
            "note",
        ]
    )
    for i in items:
        writer.writerow(
            [
                review.name,
                i.subject_kind,
                i.subject_tid,
                i.subject_oid,
                i.subject_name,
                i.role,
                i.granted_by,
                i.granted_at.isoformat(),
                i.last_sign_in_at.isoformat() if i.last_sign_in_at else "",
                i.decision,
                i.decided_at.isoformat() if i.decided_at else "",
                i.note,
            ]
        )
    return out.getvalue()
