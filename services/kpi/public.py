"""What other domains may use of the KPI figures. Stable: monthly reports and month closing
build on these.

- `update_facts(session, *, facts)`: the tickets domain keeps each ticket's facts current.
- `drop_facts_except(session, *, ticket_ids)`: recompute drops facts of no ticket.
- `figures(session, *, period) -> KpiFigures`: the figures the API returns, for the session's
  tenant; the same bytes for everyone, a function of stored rows alone.
- `evidence_rows(session, *, period, kpi) -> list[EvidenceRow]`: every evidence row of one
  clock-based KPI in ticket-number order (for a month's snapshot hash).
- `parse_period(text) -> Period`: `2026-11`, `2026-Q4` or `2026`; InvalidInput otherwise.
- `accepted_exclusions(session, *, month, subject_kind) -> {subject id: reason}`.
"""

from __future__ import annotations

from sqlmodel import Session

from services.kpi import evidence, service
from services.kpi.exclusions import accepted_exclusions
from services.kpi.facts import drop_facts_except, stored_facts, update_facts
from services.kpi.figures import Period, TicketFacts, parse_period
from services.kpi.models import ExclusionSubject
from services.kpi.schemas import EvidenceRow, KpiFigures, KpiName

__all__ = [
    "EvidenceRow",
    "ExclusionSubject",
    "KpiFigures",
    "KpiName",
    "Period",
    "TicketFacts",
    "accepted_exclusions",
    "drop_facts_except",
    "evidence_rows",
    "figures",
    "parse_period",
    "stored_facts",
    "update_facts",
]


def figures(session: Session, *, period: Period) -> KpiFigures:
    """The KPI figures of the session's tenant for `period`."""
    return service.compute(session, period)


def evidence_rows(session: Session, *, period: Period, kpi: KpiName | str) -> list[EvidenceRow]:
    """Every evidence row of `kpi` (response, restore-platform, restore-application) for
    `period`, in ticket-number order."""
    return evidence.evidence_rows(session, period=period, kpi=KpiName(kpi))
