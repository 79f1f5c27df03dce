"""The change KPIs of a period, from facts the changes domain gives.

Services sit below changes and cannot read them; changes registers its `ChangeSource` at
wiring time (regie.wiring). Without a source (a process that wired nothing) the figures
have no change part. The facts are a function of stored rows alone, as every KPI figure.

The whole is every change whose implementation ended in the period: the first time it was
implemented, failed or rolled back. Succeeded: neither failed nor rolled back, and not so
reviewed. Emergency: of type emergency. Caused incidents: its review names at least one.
Lead time: from the change's request (raised) to its implementation, in calendar hours, of
the changes implemented in the period.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.api.openapi import API_PREFIX
from services.kpi import figures as f
from services.kpi.figures import Period
from services.kpi.schemas import (
    ChangeEvidence,
    ChangeEvidenceRow,
    ChangeFigures,
    ChangeKpi,
    ChangeRate,
    LeadTime,
)

SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class ChangeFact:
    """What the changes domain tells about one change whose implementation ended."""

    change_id: uuid.UUID
    number: str
    type: str
    outcome: str  # succeeded, failed or rolled-back
    requested_at: datetime
    ended_at: datetime
    implemented_at: datetime | None
    incident_ids: tuple[uuid.UUID, ...]

    @property
    def lead_time_hours(self) -> float | None:
        if self.implemented_at is None:
            return None
        return round((self.implemented_at - self.requested_at).total_seconds() / 3600.0, 2)


# (session, start, end) -> the facts of the changes whose implementation ended in [start, end)
ChangeSource = Callable[[Session, datetime, datetime], list[ChangeFact]]
_SOURCE: list[ChangeSource] = []


def register_source(source: ChangeSource) -> None:
    """Let the changes domain deliver its facts; registering again replaces the source."""
    _SOURCE[:] = [source]


def facts(session: Session, period: Period) -> list[ChangeFact] | None:
    """The facts of `period` in number order; None when no source was registered."""
    if not _SOURCE:
        return None
    rows = _SOURCE[0](session, period.start, period.end)
    return sorted(rows, key=lambda row: (row.number, row.change_id))


def evidence_url(period: Period, kpi: ChangeKpi) -> str:
    """Where the changes behind a change KPI are listed, so a figure can be checked."""
    return f"{API_PREFIX}/kpis/change-evidence?period={period.text}&kpi={kpi.value}"


def _in_part(kpi: ChangeKpi, row: ChangeFact) -> bool:
    if kpi == ChangeKpi.success_rate:
        return row.outcome == SUCCEEDED
    if kpi == ChangeKpi.emergency:
        return row.type == "emergency"
    if kpi == ChangeKpi.caused_incidents:
        return bool(row.incident_ids)
    return row.implemented_at is not None


def _whole(kpi: ChangeKpi, rows: list[ChangeFact]) -> list[ChangeFact]:
    """The changes a figure is about: all that ended, for lead time those implemented."""
    if kpi == ChangeKpi.lead_time:
        return [row for row in rows if row.implemented_at is not None]
    return rows


def compute(session: Session, period: Period) -> ChangeFigures | None:
    """The change figures of `period`; None without a source."""
    rows = facts(session, period)
    if rows is None:
        return None

    def rate(kpi: ChangeKpi) -> ChangeRate:
        part = sum(_in_part(kpi, row) for row in rows)
        return ChangeRate(
            value=f.percent(part, len(rows)),
            part=part,
            whole=len(rows),
            evidence=evidence_url(period, kpi),
        )

    hours = [row.lead_time_hours for row in _whole(ChangeKpi.lead_time, rows)]
    return ChangeFigures(
        success_rate=rate(ChangeKpi.success_rate),
        emergency=rate(ChangeKpi.emergency),
        caused_incidents=rate(ChangeKpi.caused_incidents),
        lead_time=LeadTime(
            count=len(hours),
            mean_hours=f.mean([h for h in hours if h is not None]),
            evidence=evidence_url(period, ChangeKpi.lead_time),
        ),
    )


def evidence(session: Session, period: Period, kpi: ChangeKpi) -> ChangeEvidence:
    """The changes behind one change figure, in number order, each marked when in its part."""
    rows = _whole(kpi, facts(session, period) or [])
    return ChangeEvidence(
        period=period.text,
        kpi=kpi,
        items=[
            ChangeEvidenceRow(
                change_id=row.change_id,
                number=row.number,
                type=row.type,
                outcome=row.outcome,
                requested_at=row.requested_at,
                ended_at=row.ended_at,
                implemented_at=row.implemented_at,
                lead_time_hours=row.lead_time_hours,
                incident_ids=list(row.incident_ids),
                counted=_in_part(kpi, row),
            )
            for row in rows
        ],
    )
