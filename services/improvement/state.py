"""The register's state as the monthly report shows it: how many items are in each status,
and the backlog in the product owner's order."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from services.improvement import backlog, repository
from services.improvement.models import ImprovementStatus


@dataclass(frozen=True)
class BacklogRow:
    rank: int
    title: str
    status: str
    kpi: str | None
    baseline: float | None
    target: float | None
    owner: str | None


@dataclass(frozen=True)
class RegisterState:
    counts: dict[str, int] = field(default_factory=dict)  # every status, life-cycle order
    backlog: list[BacklogRow] = field(default_factory=list)


def register_state(session: Session) -> RegisterState:
    """The session tenant's register now: counts per status and the ordered backlog."""
    found = repository.status_counts(session)
    counts = {status.value: found.get(status.value, 0) for status in ImprovementStatus}
    _, items = backlog.current(session)
    rows = [
        BacklogRow(n, i.title, i.status.value, i.kpi, i.baseline, i.target, i.owner)
        for n, i in enumerate(items, start=1)
    ]
    return RegisterState(counts=counts, backlog=rows)
