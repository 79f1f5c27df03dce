"""The tickets behind each clock-based figure: every ticket the period considered, with its
outcome, in ticket-number order.

Considered are: the clocks decided in the period (met or missed, unless rejected or taken
out by an accepted exclusion of the month of the decision); the clocks of tickets opened
before the period's end that were not decided by it (running or paused at the end, after the
pause statuses of the agreement the clock runs under); and the tickets opened in the period
without the clock: of a type the agreement does not count, or for a restore KPI incidents of
the other class (platform or application), which count in that one only. Proposed and rejected
exclusions change nothing and show as notes.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlmodel import Session

from core.api.pagination import encode_cursor
from core.identity.permissions import Principal
from services.kpi import figures as f
from services.kpi import permissions, repository
from services.kpi.figures import Period
from services.kpi.models import Exclusion, ExclusionState, ExclusionSubject
from services.kpi.schemas import (
    EvidencePage,
    EvidenceRow,
    ExclusionNote,
    KpiName,
    Outcome,
    month_text,
)
from services.kpi.service import KIND_OF
from services.sla import public as sla

RUNNING, PAUSED = "running at period end", "paused at period end"
NOT_ATTRIBUTABLE, OTHER_TYPE, OTHER_CLASS, BY_AGREEMENT = (
    "not attributable",
    "other type",
    "other class",
    "excluded by agreement",
)


def read_evidence(
    session: Session,
    actor: Principal,
    *,
    period: str,
    kpi: KpiName,
    limit: int,
    cursor: str | None,
) -> EvidencePage:
    """One page of the evidence of `kpi` for `period`, after the ticket number in `cursor`."""
    actor.require(permissions.READ)
    parsed = f.parse_period(period)
    after = f.cursor_number(cursor) if cursor else None
    rows = evidence_rows(session, period=parsed, kpi=kpi, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(["number", rows[-1].number]) if more and rows else None
    return EvidencePage(period=parsed.text, kpi=kpi, items=rows, next_cursor=next_cursor)


def evidence_rows(
    session: Session,
    *,
    period: Period,
    kpi: KpiName,
    after: str | None = None,
    limit: int | None = None,
) -> list[EvidenceRow]:
    """The evidence rows of `kpi` for `period` in ticket-number order (all, without limit)."""
    kind = KIND_OF[kpi]
    decided = repository.decided_clocks(
        session, period.start, period.end, [kind], after=after, limit=limit
    )
    undecided = repository.undecided_clocks(session, period.end, kind, after=after, limit=limit)
    other = repository.unclocked_opened(
        session, period.start, period.end, kind, after=after, limit=limit
    )
    ids = {row.ticket_id for row in (*decided, *undecided, *other)}
    notes = _exclusions(session, period, ids)
    rows = [_decided(row, notes.get(row.ticket_id, [])) for row in decided]
    rows += _undecided(session, period, undecided, notes)
    rows += [_unclocked(row, notes.get(row.ticket_id, [])) for row in other]
    rows.sort(key=lambda row: row.number)
    return rows[:limit] if limit is not None else rows


def evidence_digest(session: Session, period: Period) -> str:
    """SHA-256 (hex) over the canonical evidence of `period`: for each clock KPI in turn
    (response, restore-platform, restore-application) every evidence row in ticket-number
    order, as one line of canonical JSON (figures.canonical_json) of the row as the API serves
    it plus `"kpi"`, each line ending in a newline.

    A row not decided in the period (decidedAt null) has elapsedSeconds null in its line: it
    is the clock's time as stored now, which keeps running after the period's end, so the
    digest of a past period stays the same until the records of that period change."""
    digest = hashlib.sha256()
    for kpi in KpiName:
        for row in evidence_rows(session, period=period, kpi=kpi):
            line = row.model_dump(mode="json", by_alias=True)
            if row.decided_at is None:
                line["elapsedSeconds"] = None
            digest.update(f.canonical_json({**line, "kpi": kpi.value}) + b"\n")
    return digest.hexdigest()


def _exclusions(
    session: Session, period: Period, ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[Exclusion]]:
    # A period's exclusions are few and its tickets many: read them all and keep those of
    # `ids`, rather than send thousands of ids to the database.
    found: dict[uuid.UUID, list[Exclusion]] = {}
    for row in repository.exclusions_in(session, period.months, ExclusionSubject.ticket):
        if row.subject_id in ids:
            found.setdefault(row.subject_id, []).append(row)
    return found


def _decided(row: Any, exclusions: list[Exclusion]) -> EvidenceRow:
    at = sla.decided_at(row.breached_at, row.stopped_at)
    month = f.month_of(at) if at is not None else None
    accepted = next(
        (e for e in exclusions if e.state == ExclusionState.accepted and e.month == month),
        None,
    )
    if row.rejected:
        outcome, reason = Outcome.excluded, NOT_ATTRIBUTABLE
    elif accepted is not None:
        outcome, reason = Outcome.excluded, BY_AGREEMENT
    else:
        outcome, reason = Outcome(f.outcome(row.breached_at, row.stopped_at)), None
    evidence = _row(row, outcome, reason, exclusions)
    evidence.decided_at = at
    evidence.exclusion_id = accepted.id if accepted is not None and reason == BY_AGREEMENT else None
    return evidence


def _unclocked(row: Any, exclusions: list[Exclusion]) -> EvidenceRow:
    """A ticket without this clock: its type is not counted, or it is an incident of the
    other class (it counts in that restore KPI only)."""
    reason = OTHER_CLASS if row.incident_class is not None else OTHER_TYPE
    return _row(row, Outcome.excluded, reason, exclusions)


def _undecided(
    session: Session, period: Period, rows: list[Any], notes: dict[uuid.UUID, list[Exclusion]]
) -> list[EvidenceRow]:
    terms = repository.agreements(session, {r.agreement_id for r in rows if r.agreement_id})
    default = sla.default_agreement()
    out = []
    for row in rows:
        agreement = terms.get(row.agreement_id, default) if row.agreement_id else default
        status = f.status_at(row.statuses, period.end)
        reason = PAUSED if status in agreement.paused_statuses else RUNNING
        out.append(_row(row, Outcome.excluded, reason, notes.get(row.ticket_id, [])))
    return out


def _row(
    row: Any, outcome: Outcome, reason: str | None, exclusions: list[Exclusion]
) -> EvidenceRow:
    return EvidenceRow(
        ticket_id=row.ticket_id,
        number=row.number,
        priority=row.priority,
        outcome=outcome,
        reason=reason,
        decided_at=None,
        elapsed_seconds=getattr(row, "elapsed_seconds", None),
        target_seconds=getattr(row, "target_seconds", None),
        exclusion_id=None,
        notes=[
            ExclusionNote(
                exclusion_id=e.id, month=month_text(e.month), state=e.state, reason=e.reason
            )
            for e in exclusions
        ],
    )
