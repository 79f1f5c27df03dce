"""Known report figures for the report tests and the test worker."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.reports.data import Figures, MonthFigures, ReportData, last_twelve

NORMS = {
    "response": 95.0,
    "restore_platform": 95.0,
    "restore_application": 95.0,
    "availability": 99.4,
}


def month_figures(month: date) -> MonthFigures:
    """Figures that differ per month, so a table or chart mixing months up shows it."""
    n = month.month
    return MonthFigures(
        month=month,
        response_pct=90.0 + n * 0.75,
        restore_platform_pct=None if n == 2 else 93.5 + n * 0.25,
        restore_application_pct=97.25 - n * 0.5,
        availability_pct=round(99.1 + n * 0.05, 2),
        tickets_opened=100 + n,
        tickets_resolved=95 + n,
        backlog=20 + n,
    )


def figures(month: date) -> Figures:
    return Figures(
        months=[month_figures(m) for m in last_twelve(month)],
        counts_by_type={"incident": 61, "service-request": 30, "question": 17},
        counts_by_priority={"urgent": 3, "high": 12, "medium": 55, "low": 38},
        mean_restore_hours=6.25,
        p90_restore_hours=14.5,
        first_line_resolution_pct=62.5,
        reopen_pct=3.75,
        evidence="sha256:records-behind-the-figures",
    )


def sample(month: date = date(2026, 11, 1), tenant: str = "Gemeente Voorbeeldstad") -> ReportData:
    f = figures(month)
    return ReportData(
        tenant_name=tenant,
        month=month,
        agreement_version="2 (2026-03-01)",
        norms=NORMS,
        months=f.months,
        counts_by_type=f.counts_by_type,
        counts_by_priority=f.counts_by_priority,
        mean_restore_hours=f.mean_restore_hours,
        p90_restore_hours=f.p90_restore_hours,
        first_line_resolution_pct=f.first_line_resolution_pct,
        reopen_pct=f.reopen_pct,
        evidence_hash="ab" * 32,
        generated_at=datetime(2026, 12, 1, 6, 30, tzinfo=UTC),
    )
