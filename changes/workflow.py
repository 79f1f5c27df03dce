"""A change's life: submit, assess, approve or reject, schedule, implement, roll back, close.
Each step is a history row; nothing reaches scheduled or implementing unapproved."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from changes import calendar, config, repository, review, risk
from changes.errors import FrozenWindow, NotReady, TransitionRefused, UntestedRollbackPlan
from changes.models import (
    Change,
    ChangeEventKind,
    ChangeStatus,
    ChangeType,
    RiskClass,
    Rollback,
)
from changes.schemas import AssessmentCreate, ChangeTransition, RollbackCreate, RollbackTest
from changes.service import (
    follow,
    get_change,
    invalid,
    load_for_change,
    raise_invalid,
    record,
)
from cmdb import public as cmdb
from core.db import touch
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import public as tickets

S = ChangeStatus
# The steps taken with POST /transitions; assessment, votes and rollbacks have their own.
MANUAL: dict[ChangeStatus, frozenset[ChangeStatus]] = {
    S.draft: frozenset({S.submitted, S.cancelled}),
    S.submitted: frozenset({S.cancelled}),
    S.assessed: frozenset({S.cancelled}),
    S.approved: frozenset({S.scheduled, S.cancelled}),
    S.scheduled: frozenset({S.implementing, S.cancelled}),
    S.implementing: frozenset({S.implemented, S.failed}),
    S.implemented: frozenset({S.closed}),
    S.failed: frozenset({S.closed}),
    S.rolled_back: frozenset({S.closed}),
    S.rejected: frozenset({S.closed}),
}
_NEEDS_REASON = frozenset({S.cancelled, S.failed})
# Approved but not yet implemented: flagged once its window has passed.
WAITING = frozenset({S.approved, S.scheduled, S.implementing})


def set_status(
    session: Session,
    actor: Principal,
    change: Change,
    wanted: ChangeStatus,
    *,
    reason: str | None = None,
    **data: Any,
) -> None:
    """Change the status with its history row and times, and move the originating ticket."""
    before, change.status = change.status, wanted
    now = utcnow()
    if wanted == S.approved:
        change.approved_at = now
    elif wanted == S.implemented:
        change.implemented_at = now
    elif wanted == S.closed:
        change.closed_at = now
    record(
        session,
        actor,
        change,
        ChangeEventKind.status,
        before=before.value,
        after=wanted.value,
        reason=reason,
        **data,
    )
    follow(session, actor, change)


def transition(
    session: Session,
    actor: Principal,
    *,
    change_id: uuid.UUID,
    data: ChangeTransition,
    if_match: str | None,
) -> Change:
    """Take an allowed step; submitting demands a complete change and its rollback plan."""
    change = load_for_change(session, actor, change_id, if_match)
    wanted = data.status
    if wanted not in MANUAL.get(change.status, frozenset()):
        raise TransitionRefused(
            f"A change cannot go from {change.status.value} to {wanted.value} this way."
        )
    if wanted in _NEEDS_REASON and not data.reason:
        why = f"A reason is required to set {wanted.value}."
        raise_invalid([invalid("reason", why)])
    if wanted == S.closed:
        review.refuse_unreviewed_close(session, change)
    if wanted == S.submitted:
        _submit(session, actor, change)
    else:
        set_status(session, actor, change, wanted, reason=data.reason)
    return touch(session, change)


def _submit(session: Session, actor: Principal, change: Change) -> None:
    _check_complete(change)
    _refuse_freeze(session, change)
    change.impact = impact(session, change)
    set_status(session, actor, change, S.submitted)
    if change.type != ChangeType.standard:
        return
    template = repository.template(session, change.template_id) if change.template_id else None
    if template is None or not template.active:
        raise TransitionRefused("The change's template is gone or inactive; raise a normal one.")
    change.risk_class = template.risk_class
    refuse_untested(change)
    change.approvers = []
    set_status(session, actor, change, S.approved, reason=f"Pre-approved: {template.name}")


def _check_complete(change: Change) -> None:
    missing = [
        name
        for name, value in (
            ("serviceIds", change.service_ids),
            ("plannedStart", change.planned_start),
            ("plannedEnd", change.planned_end),
            ("implementerId", change.implementer_id),
            ("rollbackPlan", change.rollback_plan),
        )
        if not value
    ]
    if missing:
        raise NotReady(
            "Complete the change before submitting it: " + ", ".join(missing) + ".",
            invalidParams=[invalid(n, "required") for n in missing],
        )


def _refuse_freeze(session: Session, change: Change) -> None:
    """Only an emergency is submitted into a freeze period."""
    assert change.planned_start is not None and change.planned_end is not None
    frozen = calendar.freezes_over(session, change.planned_start, change.planned_end)
    if frozen and change.type != ChangeType.emergency:
        names = ", ".join(f.name for f in frozen)
        raise FrozenWindow(
            f"The window falls in the freeze {names}; move it, or raise an emergency change."
        )


def impact(session: Session, change: Change) -> dict[str, int]:
    """What the change touches: its services, the tenants (this one), their open incidents,
    its CIs and the CIs their failure reaches (what rests on them, up to the CMDB's depth)."""
    services = [uuid.UUID(s) for s in change.service_ids]
    cis = {uuid.UUID(c) for c in change.ci_ids}
    up = cmdb.related(session, cis, depth=cmdb.DEFAULT_DEPTH, directions=[cmdb.ImpactDirection.up])
    return {
        "services": len(services),
        "tenants": 1,
        "openIncidents": tickets.open_incidents_on(session, services),
        "cis": len(cis),
        "reachedCis": len(set[uuid.UUID]().union(*up.values()) - cis),
    }


def refuse_untested(change: Change) -> None:
    """A normal or high-risk change is never approved with an untested rollback plan; an
    emergency may defer the test (it stays flagged until the test is recorded)."""
    if change.type == ChangeType.emergency or tested(change):
        return
    if change.type == ChangeType.normal or change.risk_class == RiskClass.high:
        raise UntestedRollbackPlan("Record the rollback plan's test before approving the change.")


def tested(change: Change | Row[Any]) -> bool:
    """Whether the rollback plan's test is recorded: what approval and the flags ask."""
    return bool(change.rollback_plan and change.rollback_plan.get("test"))


def assess(
    session: Session,
    actor: Principal,
    *,
    change_id: uuid.UUID,
    data: AssessmentCreate,
    if_match: str | None,
) -> Change:
    """Score the answers into a risk class, count the impact, and fix who must approve."""
    change = load_for_change(session, actor, change_id, if_match)
    if change.status != S.submitted and not (
        change.status == S.assessed and not repository.votes(session, change.id)
    ):
        raise TransitionRefused("A change is assessed once submitted, before anyone voted.")
    settings = config.current_settings(session)
    result = risk.assess(
        settings.questions or risk.DEFAULT_QUESTIONS,
        data.answers,
        medium_from=settings.medium_from,
        high_from=settings.high_from,
    )
    raise_invalid(result.problems)
    change.risk_score, change.risk_class = result.score, result.risk_class
    change.risk_answers, change.impact = result.answers, impact(session, change)
    change.approvers = config.approvers_for(session, change.type, result.risk_class)
    record(
        session,
        actor,
        change,
        ChangeEventKind.assessed,
        after=result.risk_class.value,
        score=result.score,
        impact=change.impact,
    )
    if change.status == S.submitted:
        set_status(session, actor, change, S.assessed)
    return touch(session, change)


def record_test(
    session: Session,
    actor: Principal,
    *,
    change_id: uuid.UUID,
    data: RollbackTest,
    if_match: str | None,
) -> Change:
    """Record that the rollback plan was tested; an emergency change's flag goes with it."""
    change = load_for_change(session, actor, change_id, if_match)
    if change.status in (S.closed, S.cancelled):
        raise TransitionRefused(f"The change is {change.status.value}.")
    if not change.rollback_plan:
        raise NotReady(
            "Give the change a rollback plan first.",
            invalidParams=[invalid("rollbackPlan", "required")],
        )
    test = data.model_dump(mode="json", by_alias=True)
    change.rollback_plan = {**change.rollback_plan, "test": test}
    record(session, actor, change, ChangeEventKind.rollback_tested, **test)
    return touch(session, change)


def roll_back(
    session: Session,
    actor: Principal,
    *,
    change_id: uuid.UUID,
    data: RollbackCreate,
    if_match: str | None,
) -> Change:
    """A rollback that happened, with its start, end and outcome: the change is rolled back."""
    change = load_for_change(session, actor, change_id, if_match)
    if change.status not in (S.implementing, S.implemented):
        raise TransitionRefused("Only a change being implemented or implemented is rolled back.")
    if data.ended_at < data.started_at:
        raise_invalid([invalid("endedAt", "before startedAt")])
    row = Rollback(
        change_id=change.id,
        started_at=data.started_at,
        ended_at=data.ended_at,
        outcome=data.outcome,
        notes=data.notes,
        recorded_by=actor.label,
    )
    session.add(row)
    record(session, actor, change, ChangeEventKind.rolled_back, after=data.outcome.value)
    set_status(session, actor, change, S.rolled_back, reason=data.notes)
    return touch(session, change)


def rollbacks(session: Session, actor: Principal, *, change_id: uuid.UUID) -> list[Rollback]:
    """The rollbacks that happened to the change, in the order they ran."""
    get_change(session, actor, change_id=change_id)
    return repository.rollbacks(session, change_id)


def flag_overdue(session: Session, now: datetime | None = None) -> list[Change]:
    """Flag, once, every approved change of the tenant whose window passed unimplemented."""
    now = now or utcnow()
    flagged = repository.past_window(session, now, WAITING)
    for change in flagged:
        change.overdue_at = now
        record(session, None, change, ChangeEventKind.overdue, after=change.status.value)
        change.updated_at = now
    session.flush()
    return flagged
