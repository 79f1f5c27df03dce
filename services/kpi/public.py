"""What other domains may use of the KPI figures. Stable: monthly reports and month closing
build on these.

- `update_facts(session, *, facts, new=False)`: the tickets domain keeps each ticket's facts
  current (`new`: created in this transaction, so nothing stored is looked up).
- `update_facts_of(session, *, facts, stored_for)`: the same for many tickets in a fixed
  number of statements (recompute, a page at a time); `facts_tickets(session)`: the tickets
  with stored facts, the only ones it looks up.
- `drop_facts_except(session, *, ticket_ids)`: recompute drops facts of no ticket.
- `figures(session, *, period) -> KpiFigures`: the figures the API returns, for the session's
  tenant; the same bytes for everyone, a function of stored rows alone (a closed month: its
  frozen snapshot).
- `headlines(session, months) -> list[Headline]`: each month's headline figures (the same
  values `figures` gives, without the breakdowns): a report's earlier months.
- `evidence_rows(session, *, period, kpi) -> list[EvidenceRow]`: every evidence row of one
  clock-based KPI in ticket-number order (for a month's snapshot hash).
- `evidence_digest(session, period) -> str`: SHA-256 hex of the period's canonical evidence
  (the hash a closed month stores and the monthly report shows).
- `closed_month(session, *, month) -> ClosedMonth | None`: a month's frozen snapshot (its
  `figures`, `evidence_hash`, and `signature`, `key_id` once the worker signed it, None
  before), if it was closed.
- `parse_period(text) -> Period`: `2026-11`, `2026-Q4` or `2026`; InvalidInput otherwise.
- `accepted_exclusions(session, *, month, subject_kind) -> {subject id: reason}`.
- `register_change_source(source)`: the changes domain delivers the `ChangeFact`s of the
  changes whose implementation ended in a period (wired in regie.wiring).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from services.kpi import evidence, frozen, repository, service
from services.kpi.change_figures import ChangeFact
from services.kpi.change_figures import register_source as register_change_source
from services.kpi.evidence import evidence_digest
from services.kpi.exclusions import accepted_exclusions
from services.kpi.facts import (
    drop_facts_except,
    facts_tickets,
    stored_facts,
    update_facts,
    update_facts_of,
)
from services.kpi.figures import Period, TicketFacts, parse_period
from services.kpi.models import ClosedMonth, ExclusionSubject
from services.kpi.schemas import EvidenceRow, KpiFigures, KpiName
from services.kpi.service import Headline, headlines

__all__ = [
    "ChangeFact",
    "ClosedMonth",
    "EvidenceRow",
    "ExclusionSubject",
    "Headline",
    "KpiFigures",
    "KpiName",
    "Period",
    "TicketFacts",
    "accepted_exclusions",
    "closed_month",
    "drop_facts_except",
    "evidence_digest",
    "evidence_rows",
    "facts_tickets",
    "figures",
    "headlines",
    "parse_period",
    "register_change_source",
    "stored_facts",
    "update_facts",
    "update_facts_of",
]


def figures(session: Session, *, period: Period) -> KpiFigures:
    """The KPI figures of the session's tenant for `period`; a closed month's frozen ones."""
    return frozen.figures(session, period) or service.compute(session, period)


def closed_month(session: Session, *, month: date) -> ClosedMonth | None:
    """The signed snapshot of the month `month` lies in, if that month was closed."""
    return repository.closed_month(session, date(month.year, month.month, 1))


def evidence_rows(session: Session, *, period: Period, kpi: KpiName | str) -> list[EvidenceRow]:
    """Every evidence row of `kpi` (response, restore-platform, restore-application) for
    `period`, in ticket-number order."""
    return evidence.evidence_rows(session, period=period, kpi=KpiName(kpi))
