"""Service calendar: business time across nights, weekends, Dutch holidays and DST switches.

Every expected value is worked out by hand in the comment beside it. The default calendar is
Mon-Fri 08:30-17:00 Europe/Amsterdam: CET is UTC+1, CEST (from the last Sunday of March to
the last Sunday of October) is UTC+2.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.sla.calendar import ServiceCalendar, weekly

AMS = ZoneInfo("Europe/Amsterdam")
H = 3600
CAL = ServiceCalendar()
ROUND_THE_CLOCK = ServiceCalendar(
    schedule=weekly({day: [(time(0), time(0))] for day in range(7)}),
    country=None,
    yearly_closed_days=frozenset(),
)


def ams(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A wall-clock moment in Amsterdam, as the aware UTC datetime the calendar takes."""
    return datetime(y, mo, d, h, mi, s, tzinfo=AMS).astimezone(UTC)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


# --- closed days, checked against the real calendar ------------------------------------------


def test_closed_days_2025() -> None:
    # Easter Sunday 2025 is 20 April: Easter Monday 21 April, Ascension (+39 days) Thu 29 May,
    # Whit Sunday (+49) 8 June, Whit Monday 9 June. 27 April 2025 is a Sunday, so King's Day
    # moves back to Saturday 26 April. 2025 is a fifth year: the library itself lists 5 May.
    # Good Friday (18 April) stays open by default.
    assert CAL.closed_days(2025) == {
        date(2025, 1, 1),
        date(2025, 4, 20),
        date(2025, 4, 21),
        date(2025, 4, 26),
        date(2025, 5, 5),
        date(2025, 5, 29),
        date(2025, 6, 8),
        date(2025, 6, 9),
        date(2025, 12, 25),
        date(2025, 12, 26),
    }


def test_closed_days_2026() -> None:
    # Easter Sunday 2026 is 5 April: Easter Monday 6 April, Ascension Thu 14 May, Whit Monday
    # 25 May. King's Day is Monday 27 April. 5 May (a Tuesday) comes from the yearly override.
    assert CAL.closed_days(2026) == {
        date(2026, 1, 1),
        date(2026, 4, 5),
        date(2026, 4, 6),
        date(2026, 4, 27),
        date(2026, 5, 5),
        date(2026, 5, 14),
        date(2026, 5, 24),
        date(2026, 5, 25),
        date(2026, 12, 25),
        date(2026, 12, 26),
    }


def test_closed_days_2027() -> None:
    # Easter Sunday 2027 is 28 March: Easter Monday 29 March, Ascension Thu 6 May, Whit Monday
    # 17 May. King's Day is Tuesday 27 April; Christmas falls on Saturday and Sunday.
    assert CAL.closed_days(2027) == {
        date(2027, 1, 1),
        date(2027, 3, 28),
        date(2027, 3, 29),
        date(2027, 4, 27),
        date(2027, 5, 5),
        date(2027, 5, 6),
        date(2027, 5, 16),
        date(2027, 5, 17),
        date(2027, 12, 25),
        date(2027, 12, 26),
    }


def test_liberation_day_yearly_override_versus_library() -> None:
    library_only = ServiceCalendar(yearly_closed_days=frozenset())
    # The library closes 5 May only in fifth years (2025), the override every year.
    assert not library_only.is_open_day(date(2025, 5, 5))
    assert library_only.is_open_day(date(2026, 5, 5))
    assert not CAL.is_open_day(date(2026, 5, 5))
    # Mon 4 May 2026 16:00 CEST + 2 h: 1 h on Monday, Tuesday 5 May closed, 1 h from Wednesday
    # 08:30 -> Wed 6 May 09:30 CEST. Without the override Tuesday is open: Tue 09:30.
    assert CAL.add_business_time(ams(2026, 5, 4, 16), 2 * H) == ams(2026, 5, 6, 9, 30)
    assert library_only.add_business_time(ams(2026, 5, 4, 16), 2 * H) == ams(2026, 5, 5, 9, 30)


def test_good_friday_open_by_default_and_closable() -> None:
    # Thu 2 April 2026 16:00 CEST + 4 h: 1 h on Thursday, 3 h on Good Friday from 08:30 ->
    # Fri 3 April 11:30. With Good Friday closed: Fri closed, weekend, Easter Monday closed,
    # so 3 h from Tue 7 April 08:30 -> 11:30.
    assert CAL.add_business_time(ams(2026, 4, 2, 16), 4 * H) == ams(2026, 4, 3, 11, 30)
    strict = ServiceCalendar(open_holidays=frozenset())
    assert strict.add_business_time(ams(2026, 4, 2, 16), 4 * H) == ams(2026, 4, 7, 11, 30)


# --- deadlines by hand -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "deadline"),
    [
        # Night: Tue 13 Jan 2026 16:00 CET + 2 h = 1 h Tuesday + 1 h from Wed 08:30 -> 09:30.
        (ams(2026, 1, 13, 16), 2, ams(2026, 1, 14, 9, 30)),
        # Weekend: Fri 16 Jan 16:30 + 1 h = 30 min Friday + 30 min Monday -> Mon 19 Jan 09:00.
        (ams(2026, 1, 16, 16, 30), 1, ams(2026, 1, 19, 9)),
        # Started outside hours: Sat 17 Jan 12:00 + 1 h -> Monday 08:30 + 1 h = 09:30.
        (ams(2026, 1, 17, 12), 1, ams(2026, 1, 19, 9, 30)),
        # Before opening: Tue 13 Jan 07:00 + 1 h -> 08:30 + 1 h = 09:30 the same day.
        (ams(2026, 1, 13, 7), 1, ams(2026, 1, 13, 9, 30)),
        # Exactly a day: Fri 16 Jan 08:30 + 8.5 h ends at Fri 17:00, not at Monday's opening.
        (ams(2026, 1, 16, 8, 30), 8.5, ams(2026, 1, 16, 17)),
        # Easter Monday: Fri 3 Apr 2026 15:00 CEST + 4 h = 2 h Friday; Sat, Sun, Mon 6 Apr
        # closed; 2 h from Tue 7 Apr 08:30 -> 10:30.
        (ams(2026, 4, 3, 15), 4, ams(2026, 4, 7, 10, 30)),
        # King's Day on a Monday: Fri 24 Apr 2026 16:00 + 2 h = 1 h Friday, Mon 27 Apr closed,
        # 1 h Tue 28 Apr -> 09:30.
        (ams(2026, 4, 24, 16), 2, ams(2026, 4, 28, 9, 30)),
        # King's Day on a Tuesday: Mon 26 Apr 2027 16:00 + 2 h -> Wed 28 Apr 09:30.
        (ams(2027, 4, 26, 16), 2, ams(2027, 4, 28, 9, 30)),
        # Ascension: Wed 13 May 2026 16:00 + 3 h = 1 h Wed, Thu 14 May closed, 2 h Fri -> 10:30.
        (ams(2026, 5, 13, 16), 3, ams(2026, 5, 15, 10, 30)),
        # Whit Monday: Fri 22 May 2026 16:00 + 2 h = 1 h Fri, Mon 25 May closed -> Tue 09:30.
        (ams(2026, 5, 22, 16), 2, ams(2026, 5, 26, 9, 30)),
        # Christmas and Boxing Day: Wed 24 Dec 2025 16:00 CET + 2 h = 1 h Wed; Thu 25 and
        # Fri 26 closed, weekend; 1 h from Mon 29 Dec 08:30 -> 09:30.
        (ams(2025, 12, 24, 16), 2, ams(2025, 12, 29, 9, 30)),
        # New Year: Wed 31 Dec 2025 16:00 + 2 h = 1 h Wed, Thu 1 Jan closed -> Fri 2 Jan 09:30.
        (ams(2025, 12, 31, 16), 2, ams(2026, 1, 2, 9, 30)),
        # Ascension 2027 (Thu 6 May) follows Liberation Day (Wed 5 May): Tue 4 May 2027 16:00 +
        # 2 h = 1 h Tue, Wed and Thu closed -> Fri 7 May 09:30.
        (ams(2027, 5, 4, 16), 2, ams(2027, 5, 7, 9, 30)),
        # DST spring forward (Sun 29 Mar 2026): Fri 27 Mar 16:00 CET = 15:00 UTC + 2 h = 1 h
        # Friday + 1 h from Mon 30 Mar 08:30 CEST -> 09:30 CEST = 07:30 UTC.
        (utc(2026, 3, 27, 15), 2, utc(2026, 3, 30, 7, 30)),
        # DST fall back (Sun 25 Oct 2026): Fri 23 Oct 16:00 CEST = 14:00 UTC + 2 h = 1 h
        # Friday + 1 h from Mon 26 Oct 08:30 CET -> 09:30 CET = 08:30 UTC.
        (utc(2026, 10, 23, 14), 2, utc(2026, 10, 26, 8, 30)),
    ],
)
def test_add_business_time_by_hand(start: datetime, hours: float, deadline: datetime) -> None:
    assert CAL.add_business_time(start, hours * H) == deadline
    assert CAL.business_seconds(start, deadline) == hours * H


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        # Fri 16 Jan 2026 12:00 -> Mon 19 Jan 12:00: 5 h Friday + 3.5 h Monday = 8.5 h.
        (ams(2026, 1, 16, 12), ams(2026, 1, 19, 12), 8.5),
        # Night only: Tue 17:00 -> Wed 08:30 accrues nothing.
        (ams(2026, 1, 13, 17), ams(2026, 1, 14, 8, 30), 0),
        # A whole weekend: Fri 17:00 -> Mon 08:30 accrues nothing.
        (ams(2026, 1, 16, 17), ams(2026, 1, 19, 8, 30), 0),
        # Around New Year: Mon 22 Dec 2025 08:30 -> Fri 2 Jan 2026 17:00: open on 22, 23, 24,
        # 29, 30, 31 Dec and 2 Jan = 7 days x 8.5 h = 59.5 h.
        (ams(2025, 12, 22, 8, 30), ams(2026, 1, 2, 17), 59.5),
        # The week of the spring switch: Fri 27 Mar 00:00 CET -> Tue 31 Mar 00:00 CEST is
        # 4 days less one hour on the wall, but holds two full days: 17 h.
        (ams(2026, 3, 27), ams(2026, 3, 31), 17),
        # The week of the autumn switch: Fri 23 Oct -> Tue 27 Oct, one hour longer, also 17 h.
        (ams(2026, 10, 23), ams(2026, 10, 27), 17),
        # Whole years: 261 weekdays each (365 days = 52 weeks + 1 day, a weekday).
        # 2025: New Year, Easter Mon, 5 May, Ascension, Whit Mon, 25 and 26 Dec are weekdays
        # (King's Day is a Saturday): 261 - 7 = 254 days x 8.5 h = 2159 h.
        (ams(2025, 1, 1), ams(2026, 1, 1), 254 * 8.5),
        # 2026: New Year, Easter Mon, King's Day, 5 May, Ascension, Whit Mon, Christmas (Boxing
        # Day is a Saturday): 261 - 7 = 254 days = 2159 h.
        (ams(2026, 1, 1), ams(2027, 1, 1), 254 * 8.5),
        # 2027: New Year, Easter Mon, King's Day, 5 May, Ascension, Whit Mon (Christmas at the
        # weekend): 261 - 6 = 255 days = 2167.5 h.
        (ams(2027, 1, 1), ams(2028, 1, 1), 255 * 8.5),
    ],
)
def test_business_seconds_by_hand(start: datetime, end: datetime, hours: float) -> None:
    assert CAL.business_seconds(start, end) == hours * H


def test_extra_closed_day() -> None:
    # Fri 12 June 2026 closed for a move: Thu 11 June 16:00 + 2 h = 1 h Thursday, Friday and
    # the weekend closed -> Mon 15 June 09:30.
    moving = ServiceCalendar(extra_closed_days=frozenset({date(2026, 6, 12)}))
    assert moving.add_business_time(ams(2026, 6, 11, 16), 2 * H) == ams(2026, 6, 15, 9, 30)
    assert CAL.add_business_time(ams(2026, 6, 11, 16), 2 * H) == ams(2026, 6, 12, 9, 30)


def test_open_day_reopens_a_holiday_but_not_a_weekend() -> None:
    # Easter Monday 2026 forced open: Fri 3 Apr 15:00 + 4 h = 2 h Friday + 2 h Monday -> 10:30.
    cal = ServiceCalendar(open_days=frozenset({date(2026, 4, 6), date(2026, 4, 4)}))
    assert cal.add_business_time(ams(2026, 4, 3, 15), 4 * H) == ams(2026, 4, 6, 10, 30)
    # Saturday 4 April has no window in the schedule, so opening it gives no hours.
    assert cal.day_intervals(date(2026, 4, 4)) == ()


def test_business_intervals_are_clipped_and_in_utc() -> None:
    # Fri 16 Jan 2026 12:00 CET -> Tue 20 Jan 10:00: Friday 12:00-17:00 (11:00-16:00 UTC),
    # all of Monday (07:30-16:00 UTC), Tuesday 08:30-10:00 (07:30-09:00 UTC).
    got = list(CAL.business_intervals(ams(2026, 1, 16, 12), ams(2026, 1, 20, 10)))
    assert got == [
        (utc(2026, 1, 16, 11), utc(2026, 1, 16, 16)),
        (utc(2026, 1, 19, 7, 30), utc(2026, 1, 19, 16)),
        (utc(2026, 1, 20, 7, 30), utc(2026, 1, 20, 9)),
    ]
    assert all(low.tzinfo is UTC and high.tzinfo is UTC for low, high in got)


def test_day_intervals_follow_the_wall_clock_across_dst() -> None:
    # 08:30-17:00 is 06:30-15:00 UTC in summer time and 07:30-16:00 UTC in winter time.
    summer, winter = CAL.day_intervals(date(2026, 10, 23)), CAL.day_intervals(date(2026, 10, 26))
    assert summer == ((utc(2026, 10, 23, 6, 30), utc(2026, 10, 23, 15)),)
    assert winter == ((utc(2026, 10, 26, 7, 30), utc(2026, 10, 26, 16)),)


def test_round_the_clock_days_are_23_and_25_hours_on_switch_days() -> None:
    # Sun 29 Mar 2026 loses 02:00-03:00: 23 h; Sun 25 Oct 2026 repeats 02:00-03:00: 25 h.
    assert ROUND_THE_CLOCK.business_seconds(ams(2026, 3, 29), ams(2026, 3, 30)) == 23 * H
    assert ROUND_THE_CLOCK.business_seconds(ams(2026, 10, 25), ams(2026, 10, 26)) == 25 * H
    # Without holidays Christmas is an ordinary day.
    assert ROUND_THE_CLOCK.business_seconds(ams(2026, 12, 25), ams(2026, 12, 26)) == 24 * H


def test_zero_and_empty() -> None:
    moment = ams(2026, 1, 17, 12)  # a Saturday
    assert CAL.add_business_time(moment, 0) == moment
    assert CAL.business_seconds(moment, moment) == 0
    assert list(CAL.business_intervals(moment, moment)) == []


def test_refuses_naive_datetimes_and_bad_input() -> None:
    naive = datetime(2026, 1, 13, 9)
    aware = ams(2026, 1, 13, 9)
    with pytest.raises(ValueError, match="naive"):
        CAL.business_seconds(naive, aware)
    with pytest.raises(ValueError, match="naive"):
        CAL.add_business_time(naive, 60)
    with pytest.raises(ValueError, match="naive"):
        list(CAL.business_intervals(aware, naive))
    with pytest.raises(ValueError, match="before it starts"):
        CAL.business_seconds(aware, aware - timedelta(seconds=1))
    with pytest.raises(ValueError, match="negative"):
        CAL.add_business_time(aware, -1)


def test_refuses_bad_schedules() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        weekly({0: [(time(8), time(12)), (time(11), time(17))]})
    with pytest.raises(ValueError, match="ends before"):
        weekly({0: [(time(17), time(8))]})
    with pytest.raises(ValueError, match="weekdays"):
        weekly({7: [(time(8), time(17))]})
    with pytest.raises(ValueError, match="no opening window"):
        ServiceCalendar(schedule=weekly({}))
    with pytest.raises(ValueError):
        ServiceCalendar(yearly_closed_days=frozenset({(2, 30)}))


def test_a_calendar_closed_for_good_says_so() -> None:
    # Only Mondays open, and every Monday of 2026-2027 closed: no service hours to find.
    mondays = {date(2026, 1, 5) + timedelta(weeks=n) for n in range(110)}
    cal = ServiceCalendar(
        schedule=weekly({0: [(time(9), time(10))]}), extra_closed_days=frozenset(mondays)
    )
    with pytest.raises(ValueError, match="no service hours"):
        cal.add_business_time(ams(2026, 1, 1), 60)


def test_split_windows_and_a_lunch_break() -> None:
    # 08:30-12:00 and 13:00-17:00: Tue 13 Jan 2026 11:30 + 1 h = 30 min before lunch,
    # 30 min after -> 13:30.
    lunch = ServiceCalendar(
        schedule=weekly({d: [(time(8, 30), time(12)), (time(13), time(17))] for d in range(5)})
    )
    assert lunch.add_business_time(ams(2026, 1, 13, 11, 30), H) == ams(2026, 1, 13, 13, 30)
    assert lunch.business_seconds(ams(2026, 1, 13), ams(2026, 1, 14)) == 7.5 * H


# --- properties ------------------------------------------------------------------------------

MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
AMOUNTS = st.integers(min_value=0, max_value=400 * H)  # up to about two months


@settings(max_examples=150, deadline=None)
@given(st.lists(MOMENTS, min_size=3, max_size=3).map(sorted))
def test_splitting_an_interval_keeps_the_sum(moments: list[datetime]) -> None:
    a, b, c = moments
    assert CAL.business_time(a, c) == CAL.business_time(a, b) + CAL.business_time(b, c)


@settings(max_examples=150, deadline=None)
@given(MOMENTS, AMOUNTS)
def test_add_business_time_inverts_business_seconds(start: datetime, seconds: int) -> None:
    deadline = CAL.add_business_time(start, seconds)
    assert CAL.business_seconds(start, deadline) == seconds
    # And it is the earliest such moment: a microsecond earlier, the amount is not yet used.
    if seconds:
        assert CAL.business_time(start, deadline - timedelta(microseconds=1)) < timedelta(
            seconds=seconds
        )


@settings(max_examples=100, deadline=None)
@given(MOMENTS, st.integers(min_value=1, max_value=20 * 24 * H))
def test_nothing_accrues_outside_service_hours(start: datetime, span: int) -> None:
    end = start + timedelta(seconds=span)
    intervals = list(CAL.business_intervals(start, end))
    gaps = zip(
        [start] + [high for _, high in intervals],
        [low for low, _ in intervals] + [end],
        strict=True,
    )
    for low, high in gaps:
        assert CAL.business_seconds(low, high) == 0
    for low, high in intervals:
        local_low, local_high = low.astimezone(AMS), high.astimezone(AMS)
        assert local_low.date() == local_high.date()
        assert CAL.is_open_day(local_low.date()) and local_low.weekday() < 5
        assert time(8, 30) <= local_low.time() < local_high.time() <= time(17)


@settings(max_examples=100, deadline=None)
@given(MOMENTS, st.integers(min_value=0, max_value=30 * 24 * H), st.integers(0, 30 * 24 * H))
def test_business_time_grows_with_the_end(start: datetime, first: int, more: int) -> None:
    end = start + timedelta(seconds=first)
    later = end + timedelta(seconds=more)
    assert CAL.business_time(start, end) <= CAL.business_time(start, later)
    assert CAL.business_time(start, later) <= later - start
