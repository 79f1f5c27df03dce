"""Service calendars: when a service desk is open, and how much business time lies between moments.

A calendar is a weekly schedule of opening windows in local wall-clock time, a time zone,
and the days it is closed: the country's public holidays (from the `holidays` library),
dates closed every year, and single extra dates; `open_days` reopens single dates that would
be closed (with the schedule's hours for that weekday). The schedule is wall-clock time, so a
window of 08:30-17:00 is 8.5 hours on the days clocks go forward or back as on any other
day; only the UTC offsets of its ends change. A window end that does not exist (inside the
spring-forward gap) is read with the offset from before the switch, and one that occurs
twice (autumn) means its first occurrence; 00:00 as an end means midnight ending the day.

Every moment going in or out is an aware datetime; results are in UTC. Naive datetimes are
refused, because a wall-clock time without a zone names no single moment.

Holidays follow the Dutch Algemene termijnenwet by default:

* 5 May (Liberation Day) is closed every year. The library lists it only every fifth year,
  the custom of many collective agreements; the Act names it every year.
* Good Friday is open. The library lists it, but the Act does not: whether a desk closes
  that day is a matter of its agreement. Pass `open_holidays=frozenset()` to close it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

Window = tuple[time, time]
Week = tuple[tuple[Window, ...], ...]
Interval = tuple[datetime, datetime]

# An end of 00:00 is midnight at the end of the day, so a window can reach 24:00.
MIDNIGHT = time(0)
ONE_DAY = timedelta(days=1)
# A calendar closed for longer than this has no service hours left to find: stop looking.
MAX_CLOSED_DAYS = 400
# Days whose UTC intervals a calendar keeps, so that replaying many tickets stays cheap.
DAY_CACHE_SIZE = 20_000


def weekly(days: Mapping[int, Sequence[Window]]) -> Week:
    """The schedule as seven tuples of sorted windows, Monday (0) first; rejects bad windows."""
    if any(day not in range(7) for day in days):
        raise ValueError("weekdays run from 0 (Monday) to 6 (Sunday)")
    week = tuple(tuple(sorted(days.get(day, ()))) for day in range(7))
    for windows in week:
        _check_windows(windows)
    return week


def _check_windows(windows: tuple[Window, ...]) -> None:
    """Each window starts before it ends and before the next one starts."""
    previous_end: time | None = None
    for start, end in windows:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("schedule times are local wall-clock times, without a zone")
        if end != MIDNIGHT and end <= start:
            raise ValueError(f"window {start}-{end} ends before it starts")
        # A previous window ending at midnight has taken the rest of the day.
        if previous_end is not None and (previous_end == MIDNIGHT or start < previous_end):
            raise ValueError(f"window {start}-{end} overlaps the one before")
        previous_end = end


OFFICE_HOURS: Week = weekly({day: [(time(8, 30), time(17, 0))] for day in range(5)})


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, year: int, open_names: frozenset[str]) -> frozenset[date]:
    """The library's public holidays of one year, less those named in `open_names`."""
    # English names, so that `open_names` does not depend on the library's default language.
    found = holidays.country_holidays(country, years=year, language="en_US")
    # The library joins the names of holidays falling on one date with "; ".
    return frozenset(day for day, name in found.items() if not set(name.split("; ")) <= open_names)


def utc(moment: datetime) -> datetime:
    """The same moment in UTC; refuses a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: give a time zone (UTC)")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class ServiceCalendar:
    """Opening hours in a time zone, closed on public holidays and on the days named here."""

    schedule: Week = OFFICE_HOURS
    timezone: str = "Europe/Amsterdam"
    country: str | None = "NL"  # None: no public holidays, e.g. for round-the-clock service
    extra_closed_days: frozenset[date] = frozenset()
    yearly_closed_days: frozenset[tuple[int, int]] = frozenset({(5, 5)})
    open_days: frozenset[date] = frozenset()
    open_holidays: frozenset[str] = frozenset({"Good Friday"})
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _closed: dict[int, frozenset[date]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _days: dict[date, tuple[Interval, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if len(self.schedule) != 7:
            raise ValueError("a schedule has seven days; build it with weekly()")
        for windows in self.schedule:
            _check_windows(windows)
        if not any(self.schedule):
            raise ValueError("the schedule has no opening window")
        for month, day in self.yearly_closed_days:
            date(2024, month, day)  # a leap year, so 29 February is allowed; raises otherwise
        # Frozen: the zone is derived once here, the only place that may set it.
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))

    def closed_days(self, year: int) -> frozenset[date]:
        """Every date of `year` on which the calendar is closed, whatever its weekday."""
        if year not in self._closed:
            library = (
                _public_holidays(self.country, year, self.open_holidays)
                if self.country
                else frozenset()
            )
            yearly = {
                date(year, month, day)
                for month, day in self.yearly_closed_days
                if (month, day) != (2, 29) or _is_leap(year)
            }
            extra = {day for day in self.extra_closed_days if day.year == year}
            self._closed[year] = frozenset((library | yearly | extra) - self.open_days)
        return self._closed[year]

    def is_open_day(self, day: date) -> bool:
        """Whether the desk opens at all on this local date."""
        return bool(self.schedule[day.weekday()]) and day not in self.closed_days(day.year)

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The opening windows of one local date as UTC intervals; empty when closed."""
        found = self._days.get(day)
        if found is None:
            if len(self._days) >= DAY_CACHE_SIZE:
                self._days.clear()
            found = self._days[day] = self._compute_day(day)
        return found

    def _compute_day(self, day: date) -> tuple[Interval, ...]:
        """The opening windows of one local date as UTC intervals, worked out afresh."""
        if not self.is_open_day(day):
            return ()
        intervals = []
        for start, end in self.schedule[day.weekday()]:
            low = datetime.combine(day, start, tzinfo=self._zone).astimezone(UTC)
            end_day = day + ONE_DAY if end == MIDNIGHT else day
            high = datetime.combine(end_day, end, tzinfo=self._zone).astimezone(UTC)
            # A start in the spring gap is read with the winter offset, so a window that
            # starts in the gap and ends just after it can come out empty: it gives nothing.
            if high > low:
                intervals.append((low, high))
        return tuple(intervals)

    def business_intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """The open intervals within [start, end), in order, clipped to it, in UTC."""
        start, end = _span(start, end)
        if start == end:
            return
        for low, high in self._intervals_from(start):
            if low >= end:
                return
            yield max(low, start), min(high, end)

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """The open time within [start, end), exact to the microsecond."""
        return sum((high - low for low, high in self.business_intervals(start, end)), timedelta())

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """The open time within [start, end), in seconds."""
        return self.business_time(start, end).total_seconds()

    def add_business_time(self, start: datetime, amount: float | timedelta) -> datetime:
        """The earliest moment by which `amount` (seconds or timedelta) of open time has passed."""
        start = utc(start)
        left = amount if isinstance(amount, timedelta) else timedelta(seconds=amount)
        if left < timedelta():
            raise ValueError("business time to add must not be negative")
        if not left:
            return start
        for low, high in self._intervals_from(start):
            low = max(low, start)
            if high - low >= left:
                return low + left
            left -= high - low
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def _intervals_from(self, start: datetime) -> Iterator[Interval]:
        """Open intervals that end after `start`, day by day, without end."""
        day = start.astimezone(self._zone).date()
        closed_run = 0
        while True:
            intervals = self.day_intervals(day)
            for low, high in intervals:
                if high > start:
                    yield low, high
            closed_run = 0 if intervals else closed_run + 1
            if closed_run > MAX_CLOSED_DAYS:
                raise ValueError(f"no service hours in the {MAX_CLOSED_DAYS} days after {day}")
            day += ONE_DAY


def _span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Both ends in UTC; refuses naive ends and an end before the start."""
    start, end = utc(start), utc(end)
    if end < start:
        raise ValueError(f"interval ends ({end}) before it starts ({start})")
    return start, end


def _is_leap(year: int) -> bool:
    """Whether `year` has a 29 February."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
