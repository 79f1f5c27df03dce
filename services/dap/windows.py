"""Maintenance windows as concrete UTC intervals, from the DAP versions in effect.

Weekly windows are wall-clock times in Europe/Amsterdam, so their UTC moments shift with
daylight saving time. Python's zoneinfo decides the two odd hours a year: a time that does
not exist (the spring gap) is read with the offset before the switch, i.e. an hour later on
the clock; a time that occurs twice (the autumn hour) is its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.types import utcnow
from services.dap.models import DapVersion

ZONE = ZoneInfo("Europe/Amsterdam")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Interval = tuple[datetime, datetime]


def today() -> date:
    """The current date in Europe/Amsterdam, where DAP versions take effect."""
    return utcnow().astimezone(ZONE).date()


def local_date(moment: datetime) -> date:
    """The Europe/Amsterdam date of an aware moment."""
    return moment.astimezone(ZONE).date()


def midnight(day: date) -> datetime:
    """00:00 Europe/Amsterdam on `day`, in UTC."""
    return datetime.combine(day, time(0), ZONE).astimezone(UTC)


Period = tuple[DapVersion, date, date]


def periods(versions: Iterable[DapVersion], first: date, last: date) -> list[Period]:
    """(version, from, until) covering the days first..last, `until` exclusive, in date order.

    Per effective date only the highest number counts; days before every version have none.
    """
    by_date: dict[date, DapVersion] = {}
    for version in versions:
        held = by_date.get(version.effective_from)
        if held is None or version.number > held.number:
            by_date[version.effective_from] = version
    dates = sorted(by_date)
    out = []
    for i, day in enumerate(dates):
        until = dates[i + 1] if i + 1 < len(dates) else last + timedelta(days=1)
        begin = max(day, first)
        if begin < until and begin <= last:
            out.append((by_date[day], begin, min(until, last + timedelta(days=1))))
    return out


def expand(versions: Iterable[DapVersion], start: datetime, end: datetime) -> list[Interval]:
    """The UTC intervals of maintenance within [start, end), merged and in order.

    Each version governs from 00:00 on its effective date until the next one takes effect,
    and its windows count only inside that period (and inside [start, end)).
    """
    if start.utcoffset() is None or end.utcoffset() is None:
        raise ValueError("start and end need a time zone")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    found: list[Interval] = []
    for version, first, until in periods(versions, local_date(start), local_date(end)):
        bounds = (max(start, midnight(first)), min(end, midnight(until)))
        for interval in _windows(version, first, until):
            clipped = (max(interval[0], bounds[0]), min(interval[1], bounds[1]))
            if clipped[0] < clipped[1]:
                found.append(clipped)
    return merge(found)


def _windows(version: DapVersion, first: date, until: date) -> Iterator[Interval]:
    """Every window of `version` that may touch the days first..until (exclusive)."""
    day = first
    while day < until:
        for window in version.weekly_windows:
            if window["day"] == DAYS[day.weekday()]:
                yield weekly_interval(day, window)
        day += timedelta(days=1)
    for window in version.one_off_windows:
        yield datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])


def weekly_interval(day: date, window: dict[str, Any]) -> Interval:
    """A weekly window's UTC interval on `day` ("24:00" ends at the next midnight)."""
    begin = datetime.combine(day, time.fromisoformat(window["start"]), ZONE)
    if window["end"] == "24:00":
        finish = datetime.combine(day + timedelta(days=1), time(0), ZONE)
    else:
        finish = datetime.combine(day, time.fromisoformat(window["end"]), ZONE)
    return begin.astimezone(UTC), finish.astimezone(UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals joined, in order of start."""
    out: list[Interval] = []
    for begin, finish in sorted(intervals):
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], finish))
        else:
            out.append((begin, finish))
    return out
