"""Pure arithmetic of the KPI figures: periods, decisions of clocks, shares and percentiles.

No database access: the repository selects narrow rows, these functions turn them into
figures, so the same rows always give the same figures.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.api.pagination import decode_cursor
from core.errors import InvalidInput

ZONE = ZoneInfo("Europe/Amsterdam")
_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
AGE_BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), (">90", 91, None))
DAY = 86400.0


@dataclass(frozen=True)
class TicketFacts:
    """What the tickets domain tells about one ticket; see models.TicketFactsRow."""

    ticket_id: uuid.UUID
    number: str
    type: str
    priority: str
    incident_class: str | None
    line: str | None
    status: str
    opened_at: datetime
    responded_at: datetime | None
    finished_at: datetime | None
    resolved: bool
    rejected: bool
    reopen_count: int
    escalated: bool
    resolved_line: str | None
    service_id: uuid.UUID | None
    statuses: tuple[tuple[datetime, str], ...]
    as_of: datetime


@dataclass(frozen=True)
class Period:
    """A month (`2026-11`), quarter (`2026-Q4`) or year (`2026`), from local midnight on its
    first day (`start`, UTC) up to local midnight after its last (`end`, exclusive)."""

    text: str
    kind: str
    first_day: date
    months: tuple[date, ...]
    start: datetime
    end: datetime

    @property
    def last_instant(self) -> datetime:
        """The last moment inside the period: which agreement version is in effect at its end."""
        return self.end - timedelta(microseconds=1)


def parse_period(text: str) -> Period:
    """`YYYY-MM`, `YYYY-Qn` or `YYYY` as a period; 400 naming `period` for anything else."""
    found = _PERIOD.match(text or "")
    year = int(found.group(1)) if found else 0
    if found is None or not 1900 <= year <= 9998:
        why = "give a month (2026-11), a quarter (2026-Q4) or a year (2026)"
        raise InvalidInput(
            f"period: {why}.",
            invalidParams=[{"name": "period", "pointer": "query:period", "reason": why}],
        )
    month, quarter = found.group(2), found.group(3)
    if month:
        first, count, kind = int(month), 1, "month"
    elif quarter:
        first, count, kind = 3 * int(quarter) - 2, 3, "quarter"
    else:
        first, count, kind = 1, 12, "year"
    months = tuple(date(year, first + i, 1) for i in range(count))
    after = next_month(months[-1])
    return Period(text, kind, months[0], months, local_midnight(months[0]), local_midnight(after))


def month_period(month: date) -> Period:
    """The period of the month that `month` lies in."""
    return parse_period(f"{month.year:04d}-{month.month:02d}")


def next_month(month: date) -> date:
    """The first day of the month after, across a year end."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def local_midnight(day: date) -> datetime:
    """00:00 in Amsterdam on `day`, as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


def month_of(at: datetime) -> date:
    """The first day of the local (Amsterdam) month that `at` lies in."""
    local = at.astimezone(ZONE)
    return date(local.year, local.month, 1)


def outcome(breached_at: datetime | None, stopped_at: datetime | None) -> str:
    """`missed` when breached at or before its stop (or still running), else `met`."""
    if breached_at is not None and (stopped_at is None or breached_at <= stopped_at):
        return "missed"
    return "met"


def percent(part: int, whole: int) -> float | None:
    """part/whole in percent, rounded to 2 decimals; None when whole is 0."""
    return round(part * 100.0 / whole, 2) if whole else None


def mean(values: Sequence[float]) -> float | None:
    """The mean to two decimals, None for no values rather than a made-up zero."""
    return round(math.fsum(values) / len(values), 2) if values else None


def p90(values: Iterable[float]) -> float | None:
    """The 90th percentile by the nearest-rank method: the smallest value with at least 90 %
    of the values at or below it, i.e. the ceil(0.9 n)-th of the sorted values. Always one
    of the values itself, never interpolated; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2)


def age_days(opened_at: datetime, at: datetime) -> float:
    """Days from opening to `at`, with fractions, as the backlog figures count age."""
    return (at - opened_at).total_seconds() / DAY


def age_bucket(days: float) -> str:
    """The bucket of an age in whole calendar days elapsed (0-7, 8-30, 31-90, >90)."""
    whole = int(days)
    for name, low, high in AGE_BUCKETS:
        if whole >= low and (high is None or whole <= high):
            return name
    return AGE_BUCKETS[0][0]  # a negative age cannot occur: opened before the end


def status_at(statuses: Sequence[Sequence[str]], at: datetime) -> str | None:
    """The status a timeline `[[iso time, status]]` shows at `at` (None before the first)."""
    current = None
    for moment, status in statuses:
        if datetime.fromisoformat(moment) >= at:
            break
        current = status
    return current


def canonical_json(value: Any) -> bytes:
    """`value` as canonical JSON: keys sorted at every level, no whitespace, UTF-8 (Python's
    `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def cursor_number(cursor: str) -> str:
    """The ticket number a page of a number-ordered list ends with; 400 for another list's."""
    values = decode_cursor(cursor)
    if values[0] != "number" or not isinstance(values[1], str):
        raise InvalidInput("The cursor does not belong to this list.")
    return values[1]
