"""An item's life: the client's product owner accepts or rejects each proposal once, the
owner side plans and realises it, the proposer side may withdraw it; evaluation (its own
module) ends it. Items leave the backlog when they are realised, rejected or withdrawn."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.api.etag import check_if_match
from core.identity.permissions import Principal
from core.types import utcnow
from services.improvement import backlog, permissions
from services.improvement.errors import AlreadyDecided, TransitionRefused
from services.improvement.models import ON_BACKLOG, ImprovementEventKind, ImprovementStatus, Item
from services.improvement.schemas import ImprovementDecisionCreate, ImprovementTransition
from services.improvement.service import get_item, load_for_change, record, require_any, touch
from services.improvement.sides import refuse_supplier_side

S = ImprovementStatus
# Accepting and rejecting are decisions, evaluated is reached by the evaluation: neither is a
# transition. A realised item may go back to work when the realisation proves premature.
TRANSITIONS: dict[ImprovementStatus, frozenset[ImprovementStatus]] = {
    S.proposed: frozenset({S.withdrawn}),
    S.accepted: frozenset({S.planned, S.in_progress, S.withdrawn}),
    S.planned: frozenset({S.in_progress, S.withdrawn}),
    S.in_progress: frozenset({S.planned, S.realised, S.withdrawn}),
    S.realised: frozenset({S.in_progress}),
    S.evaluated: frozenset(),
    S.rejected: frozenset(),
    S.withdrawn: frozenset(),
}


def transition(
    session: Session,
    actor: Principal,
    *,
    item_id: uuid.UUID,
    data: ImprovementTransition,
    if_match: str | None,
) -> Item:
    """Move the item along an allowed transition: the owner side works it, the proposer side
    or the owner side withdraws it."""
    wanted = data.status
    if wanted == S.withdrawn:
        require_any(actor, permissions.PROPOSE, permissions.WORK)
    else:
        actor.require(permissions.WORK)
    item = load_for_change(session, actor, item_id, if_match)
    current = item.status
    if wanted in (S.accepted, S.rejected):
        raise TransitionRefused("Accept or reject a proposal through its decisions action.")
    if wanted == S.evaluated:
        raise TransitionRefused("A realised item is evaluated through its evaluation action.")
    if wanted not in TRANSITIONS[current]:
        raise TransitionRefused(f"An improvement cannot go from {current.value} to {wanted.value}.")
    set_status(session, actor, item, wanted, text=data.reason)
    return touch(session, item)


def set_status(
    session: Session,
    actor: Principal,
    item: Item,
    wanted: ImprovementStatus,
    *,
    text: str | None = None,
) -> None:
    """Record the status change and keep the backlog to the items still to be done."""
    before = item.status
    item.status = wanted
    record(
        session,
        actor,
        item,
        ImprovementEventKind.status,
        before=before.value,
        after=wanted.value,
        text=text,
    )
    if before in ON_BACKLOG and wanted not in ON_BACKLOG:
        backlog.remove(session, item.id)
    elif wanted in ON_BACKLOG and before not in ON_BACKLOG:
        backlog.append(session, item.id)


def decide(
    session: Session,
    actor: Principal,
    *,
    item_id: uuid.UUID,
    data: ImprovementDecisionCreate,
    if_match: str | None,
) -> Item:
    """Accept or reject a proposal once, with the reason; 403 unless the client's side
    decides, and never the person who proposed it."""
    actor.require(permissions.DECIDE)
    item = get_item(session, actor, item_id=item_id, for_update=True)
    refuse_supplier_side(session, actor, item)
    check_if_match(if_match, item.version)
    if item.status != S.proposed:
        raise AlreadyDecided(f"This improvement is {item.status.value}, no longer proposed.")
    item.decided_by, item.decided_at, item.decision_reason = actor.label, utcnow(), data.reason
    before, item.status = item.status, S(data.decision.value)
    record(
        session,
        actor,
        item,
        ImprovementEventKind.decision,
        before=before.value,
        after=item.status.value,
        text=data.reason,
    )
    if item.status not in ON_BACKLOG:
        backlog.remove(session, item.id)
    return touch(session, item)
