"""The improvement register's section of the report, as rows every format lays out: the
count of items per status, and the backlog in the product owner's order."""

from __future__ import annotations

from services.reports.data import ReportData
from services.reports.labels import Labels

# The register names the KPI figure it aims at as GET /kpis does; the report's own words.
KPI_WORDS = {
    "response": "response",
    "restore-platform": "restore_platform",
    "restore-application": "restore_application",
    "availability": "availability",
    "first-line-resolution": "first_line_resolution_pct",
    "reopened": "reopen_pct",
    "opened": "tickets_opened",
    "backlog": "backlog",
    "restore-time": "mean_restore_hours",
}

Cell = str | int | float | None


def count_rows(data: ReportData, labels: Labels) -> list[list[Cell]]:
    """A header, then each status with its count."""
    rows: list[list[Cell]] = [[labels["status"], labels["count"]]]
    rows += [[labels[status], n] for status, n in data.register.counts.items()]
    return rows


def backlog_rows(data: ReportData, labels: Labels) -> list[list[Cell]]:
    """A header, then each item on the backlog, most wanted first."""
    header: list[Cell] = [
        labels[k] for k in ("rank", "item_title", "status", "kpi", "baseline", "target", "owner")
    ]
    rows: list[list[Cell]] = [header]
    for row in data.register.backlog:
        kpi = labels[KPI_WORDS.get(row.kpi, row.kpi)] if row.kpi else None
        rows.append(
            [row.rank, row.title, labels[row.status], kpi, row.baseline, row.target, row.owner]
        )
    return rows
