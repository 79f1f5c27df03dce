"""Monthly availability within service hours, from outage intervals: no database, no clock.

The rules (DOMAIN.md's SaaS SLA: 99.4 % within service hours, per month):

* A month is a Europe/Amsterdam calendar month, [the 1st 00:00, the next 1st 00:00) local
  time, whatever the agreement's own zone; its service seconds are the calendar's open time
  in the whole month, also while the month is still running.
* An outage counts only when it is attributable to the supplier, is not planned (announced)
  maintenance and was not excluded by an accepted exclusion; of a counted outage only its
  part within the month and within service hours, and outside the DAP's maintenance windows,
  is downtime (the windows leave the service seconds as they are: the desk is still open).
  An ongoing outage runs up to `now`, at most to the month's end.
* Downtime is the union of the counted parts, so overlapping outages count once.
* Availability is 100 * (service - downtime) / service, rounded to 3 decimals. A month without
  service hours is 100 %: nothing was promised, so nothing was missed. The norm is met when
  the rounded figure (the one people read) is at least the norm.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

MONTH_ZONE = ZoneInfo("Europe/Amsterdam")
PLANNED = "planned maintenance"
BY_AGREEMENT = "excluded by agreement"
OUTSIDE_HOURS = "outside service hours"
IN_MAINTENANCE = "within maintenance windows"

Interval = tuple[datetime, datetime]


class Calendar(Protocol):
    """What is needed of a service calendar (services.sla's ServiceCalendar)."""

    def business_intervals(self, start: datetime, end: datetime) -> Iterator[Interval]: ...

    def business_seconds(self, start: datetime, end: datetime) -> float: ...


@dataclass(frozen=True)
class Span:
    """One outage as the computation sees it; `end` None while ongoing."""

    id: uuid.UUID
    start: datetime
    end: datetime | None
    attributable: bool = True
    cause: str = "unknown"
    planned: bool = False


@dataclass(frozen=True)
class Counted:
    """A counted outage and its own service-hours seconds in the month (before the union)."""

    id: uuid.UUID
    seconds: float


@dataclass(frozen=True)
class Excluded:
    id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class Figures:
    start: datetime
    end: datetime
    service_seconds: float
    downtime_seconds: float
    availability_percent: float
    norm: float
    meets_norm: bool
    counted: tuple[Counted, ...]
    excluded: tuple[Excluded, ...]


def month_span(month: date) -> Interval:
    """The Amsterdam calendar month holding `month`, as a UTC interval [start, end)."""
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return _local_midnight(first), _local_midnight(following)


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=MONTH_ZONE).astimezone(UTC)


def availability(
    calendar: Calendar,
    spans: Iterable[Span],
    *,
    month: date,
    norm: float,
    now: datetime,
    excluded_ids: frozenset[uuid.UUID] = frozenset(),
    maintenance: Iterable[Interval] = (),
) -> Figures:
    """The month's figures; outages that do not touch the month are left out altogether."""
    windows = sorted(maintenance)
    start, end = month_span(month)
    counted, excluded, parts = [], [], []
    for span in sorted(spans, key=lambda s: (s.start, str(s.id))):
        low, high = max(span.start, start), min(span.end or now, end)
        if high <= low:  # not in the month (or, while ongoing, not yet)
            continue
        hours = [(a, b) for a, b in calendar.business_intervals(low, high) if b > a]
        own = minus(hours, windows)
        reason = why_not_counted(span, excluded_ids) or (
            None if own else IN_MAINTENANCE if hours else OUTSIDE_HOURS
        )
        if reason is not None:
            excluded.append(Excluded(span.id, reason))
            continue
        counted.append(Counted(span.id, sum((b - a).total_seconds() for a, b in own)))
        parts.extend(own)
    service = calendar.business_seconds(start, end)
    downtime = union_seconds(parts)
    percent = percent_available(service, downtime)
    return Figures(
        start=start,
        end=end,
        service_seconds=service,
        downtime_seconds=downtime,
        availability_percent=percent,
        norm=norm,
        meets_norm=percent >= norm,
        counted=tuple(counted),
        excluded=tuple(excluded),
    )


def percent_available(service_seconds: float, downtime_seconds: float) -> float:
    """100 * (service - downtime) / service to 3 decimals; 100 without service hours."""
    if service_seconds <= 0:
        return 100.0
    return round(100.0 * (service_seconds - downtime_seconds) / service_seconds, 3)


def why_not_counted(span: Span, excluded_ids: frozenset[uuid.UUID]) -> str | None:
    """Why the outage does not count against the supplier, whatever its hours; None if it does.

    Planned maintenance and attribution are facts of the outage itself, so they are named
    before an exclusion by agreement, which is a later decision about it."""
    if span.planned:
        return PLANNED
    if not span.attributable:
        return f"not attributable: {span.cause}"
    if span.id in excluded_ids:
        return BY_AGREEMENT
    return None


def minus(intervals: list[Interval], windows: list[Interval]) -> list[Interval]:
    """The parts of `intervals` outside every window (windows sorted by start)."""
    left = []
    for low, high in intervals:
        for w_low, w_high in windows:
            if w_high <= low or w_low >= high:
                continue
            if w_low > low:
                left.append((low, w_low))
            low = max(low, w_high)
            if low >= high:
                break
        if low < high:
            left.append((low, high))
    return left


def union_seconds(intervals: Iterable[Interval]) -> float:
    """The length of the union of the intervals: overlapping time counts once."""
    total, current = 0.0, None
    for low, high in sorted(intervals):
        if current is not None and low <= current[1]:
            current = (current[0], max(current[1], high))
            continue
        if current is not None:
            total += (current[1] - current[0]).total_seconds()
        current = (low, high)
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total
