"""Closing a month: its figures and the digest of its evidence frozen as a snapshot, signed
with the audit key by the worker just after, and later recomputation compared against it.

A month can be closed once it is over (before the current month in Europe/Amsterdam) and no
exclusion of it awaits a decision. From then on its figures are the snapshot's (see
services.kpi.frozen) and its exclusions can no longer be proposed or decided.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from services.kpi import evidence, frozen, permissions, repository, service
from services.kpi import figures as f
from services.kpi.errors import ClosedMonthNotFound, ExclusionsPending, MonthAlreadyClosed
from services.kpi.exclusions import parse_month
from services.kpi.models import ClosedMonth
from services.kpi.schemas import (
    ClosedMonthCreate,
    ClosedMonthPublic,
    Comparison,
    Difference,
    KpiFigures,
    month_text,
)


def close_month(session: Session, actor: Principal, *, data: ClosedMonthCreate) -> ClosedMonth:
    """The month's frozen snapshot, its signature requested from the worker; 400 unless the
    month is over, 409 when it was closed already or while an exclusion of it awaits a
    decision (the problem lists their ids)."""
    actor.require(permissions.CLOSE)
    month = parse_month(data.month)
    if month >= f.month_of(utcnow()):
        why = "the month is not over yet (Europe/Amsterdam)"
        raise InvalidInput(
            f"month: {why}.", invalidParams=[{"name": "month", "pointer": "/month", "reason": why}]
        )
    if repository.closed_month(session, month) is not None:
        raise MonthAlreadyClosed(f"{data.month} is already closed.")
    pending = [str(row.id) for row in repository.proposed_exclusions(session, month)]
    if pending:
        raise ExclusionsPending(
            f"Decide the {len(pending)} proposed exclusion(s) of {data.month} first.",
            pendingExclusions=pending,
        )
    return _snapshot(session, actor, month)


def _snapshot(session: Session, actor: Principal, month: date) -> ClosedMonth:
    period = f.month_period(month)
    computed = service.compute(session, period)
    document = computed.model_dump(mode="json", by_alias=True)
    digest = evidence.evidence_digest(session, period)
    row = ClosedMonth(
        month=month,
        figures=document,
        evidence_hash=digest,
        agreement_id=computed.agreement.id,
        agreement_number=computed.agreement.version,
        closed_by=actor.label,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another request closed the same month meanwhile.
        raise MonthAlreadyClosed(f"{month_text(month)} is already closed.") from None
    frozen.request_signature(session, row)
    return row


def get_closed_month(session: Session, actor: Principal, *, month: str) -> ClosedMonth:
    """The closed month's snapshot; 404 when it was not closed (or is another tenant's)."""
    actor.require(permissions.READ)
    first_day = parse_month(month, name="closedMonth", pointer="path:closedMonth")
    row = repository.closed_month(session, first_day)
    if row is None:
        raise ClosedMonthNotFound(f"{month} is not closed.")
    return row


def list_closed_months(
    session: Session, actor: Principal, *, limit: int, after: list[Any] | None
) -> tuple[list[ClosedMonth], list[Any] | None]:
    """A page of closed months, newest first, and the cursor values of the next page."""
    actor.require(permissions.READ)
    rows = repository.closed_month_page(session, limit=limit + 1, after=_typed(after))
    last = rows[limit - 1] if len(rows) > limit else None
    return rows[:limit], [last.month.isoformat(), str(last.id)] if last else None


def _typed(after: list[Any] | None) -> list[Any] | None:
    if after is None:
        return None
    try:
        return [date.fromisoformat(str(after[0])), uuid.UUID(str(after[1]))]
    except (ValueError, TypeError):
        raise InvalidInput("The cursor does not belong to this list.") from None


def compare(session: Session, actor: Principal, *, month: str) -> Comparison:
    """The closed month against its figures and evidence computed now from the stored rows:
    every figure that differs, by JSON pointer."""
    row = get_closed_month(session, actor, month=month)
    period = f.month_period(row.month)
    now = service.compute(session, period).model_dump(mode="json", by_alias=True)
    if "changes" not in row.figures:
        now.pop("changes", None)  # closed before change figures were counted: not frozen
    digest = evidence.evidence_digest(session, period)
    found = differences(row.figures, now)
    valid = frozen.signature_valid(row)
    return Comparison(
        month=month_text(row.month),
        figures_equal=not found,
        evidence_equal=digest == row.evidence_hash,
        signature_state=frozen.signature_state(valid),
        signature_valid=valid,
        evidence_hash=row.evidence_hash,
        recomputed_evidence_hash=digest,
        differences=found,
    )


def differences(closed: Any, recomputed: Any, path: str = "") -> list[Difference]:
    """Every leaf where two JSON documents differ, by JSON pointer, in document order."""
    if isinstance(closed, dict) and isinstance(recomputed, dict):
        keys = list(closed) + [k for k in recomputed if k not in closed]
        return [
            d
            for k in keys
            for d in differences(closed.get(k), recomputed.get(k), f"{path}/{_escaped(k)}")
        ]
    if isinstance(closed, list) and isinstance(recomputed, list):
        return [
            d
            for i in range(max(len(closed), len(recomputed)))
            for d in differences(_at(closed, i), _at(recomputed, i), f"{path}/{i}")
        ]
    if closed == recomputed and type(closed) is type(recomputed):
        return []
    return [Difference(path=path, closed=closed, recomputed=recomputed)]


def _at(items: list[Any], index: int) -> Any:
    return items[index] if index < len(items) else None


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def closed_month_public(row: ClosedMonth) -> ClosedMonthPublic:
    valid = frozen.signature_valid(row)
    return ClosedMonthPublic(
        month=month_text(row.month),
        tenant_id=row.tenant_id,
        figures=KpiFigures.model_validate(row.figures),
        evidence_hash=row.evidence_hash,
        agreement_id=row.agreement_id,
        agreement_number=row.agreement_number,
        signature=row.signature,
        key_id=row.key_id,
        signature_state=frozen.signature_state(valid),
        signature_valid=valid,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
    )
