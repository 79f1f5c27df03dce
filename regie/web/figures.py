"""The KPI figures and report jobs as the service level page shows them: every number
formatted in the reader's language, every label an English message the catalogue translates.

Values are formatted with exactly the decimals the API rounds to (2; availability up to 3),
so a figure on the page is the API's figure, only written the way the reader writes numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from regie.web import AMSTERDAM
from regie.web.evidence import for_browser
from services.kpi.public import KpiFigures, Period
from services.reports.models import ReportJob

TWO = "#,##0.00"
AVAILABILITY = "#,##0.00#"  # the API gives availability to 3 decimals

CLOCKS = (
    ("response", "response", "Response"),
    ("restore_platform", "restore-platform", "Restore of the platform"),
    ("restore_application", "restore-application", "Restore of the application"),
)
TYPES = {
    "incident": "Incident",
    "service-request": "Service request",
    "question": "Question",
    "change-request": "Change request",
    "onboarding": "A colleague joins (grant access)",
    "offboarding": "A colleague leaves (revoke access)",
}
PRIORITIES = {"urgent": "Urgent", "high": "High", "medium": "Medium", "low": "Low"}
LINES = {
    "1": "First line",
    "2": "Second line",
    "3": "Third line",
    "third-party": "Third party",
    "none": "No line yet",
}
AGES = {
    "0-7": "0 to 7 days",
    "8-30": "8 to 30 days",
    "31-90": "31 to 90 days",
    ">90": "Over 90 days",
}
OUTCOMES = {True: "Met", False: "Not met", None: "Nothing to judge"}
STATES = {
    "queued": "Waiting to be made",
    "running": "Being made",
    "done": "Ready",
    "failed": "Failed",
}
FORMAT_NAMES = {"pdf": "PDF", "xlsx": "Excel (XLSX)", "ods": "OpenDocument (ODS)", "csv": "CSV"}


class Formatter:
    """Numbers, months and moments the way readers of one language write them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def percent(self, value: float | None, pattern: str = TWO) -> str | None:
        if value is None:
            return None
        number = format_decimal(value, format=pattern, locale=self.lang)
        # Dutch puts a (non-breaking) space before the sign: 98,88 %; English: 98.88%.
        return f"{number}\u00a0%" if self.lang == "nl" else f"{number}%"

    def decimal(self, value: float | None) -> str | None:
        return None if value is None else format_decimal(value, format=TWO, locale=self.lang)

    def count(self, value: int) -> str:
        return format_decimal(value, format="#,##0", locale=self.lang)

    def month(self, first_day: date) -> str:
        return format_date(first_day, "LLLL yyyy", locale=self.lang)

    def day(self, day: date) -> str:
        return format_date(day, "long", locale=self.lang)

    def moment(self, at: datetime) -> str:
        return format_datetime(at, "medium", tzinfo=AMSTERDAM, locale=self.lang)

    def period_name(self, period: Period) -> str:
        if period.kind == "month":
            return self.month(period.first_day)
        if period.kind == "quarter":
            return format_date(period.first_day, "QQQ yyyy", locale=self.lang)
        return str(period.first_day.year)

    def period_range(self, period: Period) -> str:
        """First and last local day; the period's end is the midnight after its last day."""
        last = (period.end.astimezone(AMSTERDAM) - timedelta(days=1)).date()
        return f"{self.day(period.first_day)} \u2013 {self.day(last)}"


def view_of(figures: KpiFigures, fmt: Formatter) -> dict[str, Any]:
    """Everything the page shows of the figures, formatted, in the API's order."""
    restore = figures.restore_time
    return {
        "agreement": figures.agreement,
        "agreement_from": fmt.day(figures.agreement.effective_from)
        if figures.agreement.effective_from
        else None,
        "clocks": [_clock(figures, attr, key, name, fmt) for attr, key, name in CLOCKS],
        "availability": _availability(figures, fmt),
        "opened": {
            "total": fmt.count(figures.opened.total),
            "groups": [
                ("By type", _counted(figures.opened.by_type, TYPES, fmt)),
                ("By priority", _counted(figures.opened.by_priority, PRIORITIES, fmt)),
                ("By line", _counted(figures.opened.by_line, LINES, fmt)),
            ],
        },
        "backlog": {
            "count": fmt.count(figures.backlog.count),
            "by_priority": _counted(figures.backlog.by_priority, PRIORITIES, fmt),
            "by_age": _counted(figures.backlog.by_age, AGES, fmt),
            "mean_age": fmt.decimal(figures.backlog.mean_age_days),
        },
        "restore_time": {
            "count": fmt.count(restore.count),
            "mean": fmt.decimal(restore.mean_hours),
            "p90": fmt.decimal(restore.p90_hours),
            "evidence": for_browser(restore.evidence),
        },
        "rates": [
            _rate("first-line-resolution", "Resolved by the first line", figures, fmt),
            _rate("reopened", "Reopened", figures, fmt),
        ],
    }


def _clock(figures: KpiFigures, attr: str, key: str, name: str, fmt: Formatter) -> dict[str, Any]:
    figure = getattr(figures, attr)
    return {
        "key": key,
        "name": name,
        "value": fmt.percent(figure.value),
        "norm": fmt.percent(figure.norm),
        "detail": (fmt.count(figure.met), fmt.count(figure.met + figure.missed)),
        "meets": figure.meets_norm,
        "outcome": OUTCOMES[figure.meets_norm],
        "evidence": [for_browser(figure.evidence)],
    }


def _availability(figures: KpiFigures, fmt: Formatter) -> dict[str, Any]:
    figure = figures.availability
    return {
        "key": "availability",
        "name": "Availability",
        "value": fmt.percent(figure.value, AVAILABILITY),
        "norm": fmt.percent(figure.norm, AVAILABILITY),
        "downtime": fmt.decimal(figure.downtime_seconds / 3600.0),
        "service": fmt.decimal(figure.service_seconds / 3600.0),
        "meets": figure.meets_norm,
        "outcome": OUTCOMES[figure.meets_norm],
        "evidence": [for_browser(url) for url in figure.evidence],
    }


def _counted(counts: dict[str, int], names: dict[str, str], fmt: Formatter) -> list[Any]:
    """(key, label, count) in the API's order; a key the page has no name for shows as is."""
    return [(key, names.get(key, key), fmt.count(n)) for key, n in counts.items()]


def _rate(key: str, name: str, figures: KpiFigures, fmt: Formatter) -> dict[str, Any]:
    rate = figures.first_line_resolution if key == "first-line-resolution" else figures.reopened
    return {
        "key": key,
        "name": name,
        "value": fmt.percent(rate.value),
        "part": fmt.count(rate.part),
        "whole": fmt.count(rate.whole),
    }


def report_view(
    jobs: list[ReportJob], fmt: Formatter, file_link: Callable[[ReportJob, str], str]
) -> list[dict[str, Any]]:
    """The recent report jobs with their state in words and, once done, a link per file."""
    return [
        {
            "id": str(job.id),
            "month": fmt.month(job.month),
            "language": job.language,
            "requested_by": job.requested_by,
            "requested_at": fmt.moment(job.created_at),
            "state": job.state.value,
            "state_name": STATES.get(job.state.value, job.state.value),
            "progress": job.progress,
            "progress_text": fmt.percent(job.progress, "#,##0"),
            "files": [
                (FORMAT_NAMES.get(f, f.upper()), file_link(job, f))
                for f in job.formats
                if job.state.value == "done"
            ],
        }
        for job in jobs
    ]
