"""The figures a monthly report shows, and where they come from.

The tenant, the agreement version and its norms are read here; every KPI figure comes from
the KPI package (`kpi_figures`), the very figures `GET /kpis` serves. `FIGURES_SOURCE` is
where they are read from, so the tests can feed known figures to the worker.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.db import session_tenant
from core.tenancy import Tenant
from core.types import utcnow
from services.improvement import public as improvement
from services.kpi import public as kpi
from services.sla import service as sla_service
from services.sla import terms as sla_terms

KPIS = ("response", "restore_platform", "restore_application", "availability")
# The change figures of the report month, when its KPI figures count changes (a month closed
# before they were counted has none, and its report stays as it was).
CHANGE_FIGURES = (
    "change_success_pct",
    "emergency_change_pct",
    "changes_causing_incidents_pct",
    "change_lead_time_hours",
)


@dataclass(frozen=True)
class MonthFigures:
    """One calendar month's figures; a percentage is None when nothing was counted."""

    month: date
    response_pct: float | None
    restore_platform_pct: float | None
    restore_application_pct: float | None
    availability_pct: float | None
    tickets_opened: int
    tickets_resolved: int
    backlog: int

    def pct(self, kpi: str) -> float | None:
        value: float | None = getattr(self, f"{kpi}_pct")
        return value


@dataclass(frozen=True)
class Figures:
    """What the KPI package delivers for a report month (`months`: twelve, oldest first).

    `evidence` is the source's digest of the records behind the figures; the report's
    evidence hash covers it, so a report can be traced to exactly those records.
    """

    months: list[MonthFigures]
    counts_by_type: dict[str, int]
    counts_by_priority: dict[str, int]
    mean_restore_hours: float | None
    p90_restore_hours: float | None
    first_line_resolution_pct: float | None
    reopen_pct: float | None
    evidence: str = ""
    changes: dict[str, float | None] | None = None  # by CHANGE_FIGURES' names


@dataclass(frozen=True)
class ReportData:
    tenant_name: str
    month: date
    agreement_version: str
    norms: dict[str, float]
    months: list[MonthFigures]
    counts_by_type: dict[str, int]
    counts_by_priority: dict[str, int]
    mean_restore_hours: float | None
    p90_restore_hours: float | None
    first_line_resolution_pct: float | None
    reopen_pct: float | None
    evidence_hash: str
    changes: dict[str, float | None] | None = None
    generated_at: datetime = field(default_factory=utcnow)
    # The improvement register as the report was made; not in the evidence hash, which
    # covers the month's figures and their records.
    register: improvement.RegisterState = field(default_factory=improvement.RegisterState)

    @property
    def current(self) -> MonthFigures:
        """The figures of the report month itself."""
        return self.months[-1]


def kpi_figures(session: Session, month: date) -> Figures:
    """The KPI package's figures of the twelve months ending with `month`: the month itself
    in full, the eleven before it as headlines (the report shows no more of them)."""
    twelve = last_twelve(month)
    current = kpi.figures(session, period=_period(month))
    earlier = kpi.headlines(session, twelve[:-1])
    return Figures(
        months=[*(_headline_month(h) for h in earlier), _month(current)],
        counts_by_type=current.opened.by_type,
        counts_by_priority=current.opened.by_priority,
        mean_restore_hours=current.restore_time.mean_hours,
        p90_restore_hours=current.restore_time.p90_hours,
        first_line_resolution_pct=current.first_line_resolution.value,
        reopen_pct=current.reopened.value,
        evidence=_evidence(session, month),
        changes=_changes(current),
    )


def _changes(figures: kpi.KpiFigures) -> dict[str, float | None] | None:
    found = figures.changes
    if found is None:
        return None
    values = (
        found.success_rate.value,
        found.emergency.value,
        found.caused_incidents.value,
        found.lead_time.mean_hours,
    )
    return dict(zip(CHANGE_FIGURES, values, strict=True))


def _evidence(session: Session, month: date) -> str:
    """The month's evidence digest: as frozen when the month was closed (and signed by the
    worker just after), else computed."""
    closed = kpi.closed_month(session, month=month)
    return closed.evidence_hash if closed else kpi.evidence_digest(session, period=_period(month))


def _period(month: date) -> kpi.Period:
    return kpi.parse_period(f"{month:%Y-%m}")


def _headline_month(figures: kpi.Headline) -> MonthFigures:
    return MonthFigures(
        month=figures.start.astimezone(ZoneInfo(sla_terms.DEFAULT_TIMEZONE)).date(),
        response_pct=figures.response,
        restore_platform_pct=figures.restore_platform,
        restore_application_pct=figures.restore_application,
        availability_pct=figures.availability,
        tickets_opened=figures.opened,
        tickets_resolved=figures.resolved,
        backlog=figures.backlog,
    )


def _month(figures: kpi.KpiFigures) -> MonthFigures:
    return MonthFigures(
        month=figures.start.astimezone(ZoneInfo(sla_terms.DEFAULT_TIMEZONE)).date(),
        response_pct=figures.response.value,
        restore_platform_pct=figures.restore_platform.value,
        restore_application_pct=figures.restore_application.value,
        availability_pct=figures.availability.value,
        tickets_opened=figures.opened.total,
        tickets_resolved=figures.first_line_resolution.whole,
        backlog=figures.backlog.count,
    )


FiguresSource = Callable[[Session, date], Figures]
FIGURES_SOURCE: FiguresSource = kpi_figures


class FiguresUnavailable(RuntimeError):
    """The figures source delivered figures for other months."""


def first_of(day: date) -> date:
    """The first day of the month `day` falls in."""
    return day.replace(day=1)


def shift(month: date, months: int) -> date:
    """The first of the month `months` after (negative: before) `month`."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_twelve(month: date) -> list[date]:
    """The twelve months ending with `month`, oldest first."""
    return [shift(first_of(month), n) for n in range(-11, 1)]


def report_data(session: Session, *, month: date) -> ReportData:
    """The report of `month` for the session's tenant; FiguresUnavailable without a source."""
    month = first_of(month)
    figures = FIGURES_SOURCE(session, month)
    if [m.month for m in figures.months] != last_twelve(month):
        raise FiguresUnavailable(f"The figures source did not give the twelve months to {month}.")
    tenant = session.get(Tenant, session_tenant(session))
    version, norms = _agreement(session, month)
    content: dict[str, Any] = {
        "tenant_name": tenant.name if tenant else "",
        "month": month,
        "agreement_version": version,
        "norms": norms,
        "months": figures.months,
        "counts_by_type": dict(figures.counts_by_type),
        "counts_by_priority": dict(figures.counts_by_priority),
        "mean_restore_hours": figures.mean_restore_hours,
        "p90_restore_hours": figures.p90_restore_hours,
        "first_line_resolution_pct": figures.first_line_resolution_pct,
        "reopen_pct": figures.reopen_pct,
    }
    if figures.changes is not None:
        content["changes"] = dict(figures.changes)
    digest = evidence_hash(content, figures.evidence)
    return ReportData(
        **content,
        evidence_hash=digest,
        generated_at=utcnow(),
        register=improvement.register_state(session),
    )


def _agreement(session: Session, month: date) -> tuple[str, dict[str, float]]:
    """The version in effect at the end of `month` (its label) and its four norms."""
    last_day = shift(month, 1).toordinal() - 1
    zone = ZoneInfo(sla_terms.DEFAULT_TIMEZONE)
    moment = datetime.combine(date.fromordinal(last_day), time(12), zone)
    agreement = sla_service.in_effect(session, moment)
    if sla_terms.is_default(agreement):
        label = "default"
    else:
        label = f"{agreement.number} ({agreement.effective_from.isoformat()})"
    norms = {
        "response": agreement.response_norm,
        "restore_platform": agreement.restore_platform_norm,
        "restore_application": agreement.restore_application_norm,
        "availability": agreement.availability_norm,
    }
    return label, norms


def evidence_hash(content: dict[str, Any], evidence: str) -> str:
    """SHA-256 over the report's figures (canonical JSON) and the source's evidence digest."""
    plain = {k: asdict(v) if hasattr(v, "__dataclass_fields__") else v for k, v in content.items()}
    plain["months"] = [asdict(m) for m in content["months"]]
    plain["evidence"] = evidence
    raw = json.dumps(plain, sort_keys=True, separators=(",", ":"), default=_iso)
    return hashlib.sha256(raw.encode()).hexdigest()


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")
