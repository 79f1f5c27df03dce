"""The facts of changes the KPI figures count, delivered to services.kpi (wired in
regie.wiring, since services cannot read changes). Read from stored rows alone: the status
history says when a change's implementation ended and how, the review what it caused."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from changes import repository
from changes.models import ChangeStatus, ReviewOutcome
from services.kpi import public as kpi

S = ChangeStatus
ENDS = frozenset({S.implemented, S.failed, S.rolled_back})
BAD = frozenset({S.failed, S.rolled_back})
BAD_REVIEW = {ReviewOutcome.failed: "failed", ReviewOutcome.rolled_back: "rolled-back"}


def facts(session: Session, start: datetime, end: datetime) -> list[kpi.ChangeFact]:
    """The changes whose implementation first ended (implemented, failed, rolled back) in
    [start, end): the outcome is the worst they reached, by status or review."""
    ended = repository.ends_between(session, start, end, ENDS)
    ids = list(ended)
    changes = repository.changes_in(session, ids)
    bad = repository.statuses_reached(session, ids, BAD)
    reviews = repository.reviews_of(session, ids)
    out = []
    for change_id, at in ended.items():
        change = changes[change_id]
        review = reviews.get(change_id)
        if (change_id, S.rolled_back.value) in bad:
            outcome = S.rolled_back.value
        elif (change_id, S.failed.value) in bad:
            outcome = S.failed.value
        elif review is not None and review.outcome in BAD_REVIEW:
            outcome = BAD_REVIEW[review.outcome]
        else:
            outcome = "succeeded"
        out.append(
            kpi.ChangeFact(
                change_id=change_id,
                number=change.number,
                type=change.type.value,
                outcome=outcome,
                requested_at=change.created_at,
                ended_at=at,
                implemented_at=change.implemented_at,
                incident_ids=tuple(
                    sorted(uuid.UUID(i) for i in (review.incident_ids if review else []))
                ),
            )
        )
    return out
