"""The monthly availability computation, case by case, with the figures worked out by hand.

The calendar is DOMAIN.md's service desk: working days 08:30-17:00 Europe/Amsterdam (8.5 h),
closed on Dutch public holidays and 5 May, open on Good Friday. November 2026 starts on a
Sunday and has 21 working days and no holiday: 21 x 8.5 h = 178.5 h = 642,600 s of service.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.availability.compute import Span, availability, month_span, union_seconds
from services.sla.calendar import ServiceCalendar, weekly

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600.0
DESK = ServiceCalendar()
NOVEMBER = date(2026, 11, 1)
NOVEMBER_SERVICE = 178.5 * HOUR
NORM = 99.4


def ams(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def outage(start: datetime, end: datetime | None, **facts) -> Span:
    return Span(
        id=uuid.uuid4(), start=start.astimezone(UTC), end=end and end.astimezone(UTC), **facts
    )


def figures(*spans: Span, month: date = NOVEMBER, now: datetime | None = None, **kw):
    moment = now or datetime(2027, 1, 1, tzinfo=UTC)
    return availability(DESK, spans, month=month, norm=NORM, now=moment, **kw)


def test_a_month_without_outages_is_fully_available() -> None:
    result = figures()
    assert result.service_seconds == NOVEMBER_SERVICE
    assert result.downtime_seconds == 0 and result.availability_percent == 100.0
    assert result.meets_norm and result.counted == () and result.excluded == ()
    # 1 November 00:00 CET is 31 October 23:00 UTC; 1 December 00:00 CET is 30 November 23:00.
    assert month_span(NOVEMBER) == (
        datetime(2026, 10, 31, 23, tzinfo=UTC),
        datetime(2026, 11, 30, 23, tzinfo=UTC),
    )


def test_an_overnight_outage_counts_only_its_service_hours() -> None:
    # Tuesday 3 Nov 16:00 to Wednesday 4 Nov 10:00: 16:00-17:00 (1 h) + 08:30-10:00 (1.5 h);
    # the 15.5 hours of night are outside service hours.
    night = outage(ams(2026, 11, 3, 16), ams(2026, 11, 4, 10))
    result = figures(night)
    assert result.downtime_seconds == 2.5 * HOUR
    assert [(c.id, c.seconds) for c in result.counted] == [(night.id, 2.5 * HOUR)]
    # (178.5 - 2.5) / 178.5 = 98.5994...%: below the 99.4 % norm.
    assert result.availability_percent == 98.599 and not result.meets_norm


def test_an_outage_over_a_weekend_counts_friday_and_monday_only() -> None:
    # Friday 6 Nov 15:00 to Monday 9 Nov 09:30: Friday 15:00-17:00 (2 h) + Monday 08:30-09:30
    # (1 h); Saturday and Sunday have no service hours.
    result = figures(outage(ams(2026, 11, 6, 15), ams(2026, 11, 9, 9, 30)))
    assert result.downtime_seconds == 3 * HOUR
    # (178.5 - 3) / 178.5 = 98.3193...%
    assert result.availability_percent == 98.319


def test_kings_day_is_no_service_time() -> None:
    # April 2026: 22 working days less Easter Monday (6 April) and King's Day (Monday 27
    # April); Good Friday (3 April) is open: 20 x 8.5 h = 170 h.
    # Friday 24 April 16:00 to Tuesday 28 April 09:00: Friday 1 h + Tuesday 0.5 h.
    april = date(2026, 4, 1)
    result = figures(outage(ams(2026, 4, 24, 16), ams(2026, 4, 28, 9)), month=april)
    assert result.service_seconds == 170 * HOUR
    assert result.downtime_seconds == 1.5 * HOUR
    # (170 - 1.5) / 170 = 99.1176...%
    assert result.availability_percent == 99.118


def test_overlapping_outages_count_once() -> None:
    # 10 Nov 09:00-11:00 and 10:00-12:00: 3 h of downtime, not 4; each still shows its own 2 h.
    first = outage(ams(2026, 11, 10, 9), ams(2026, 11, 10, 11))
    second = outage(ams(2026, 11, 10, 10), ams(2026, 11, 10, 12))
    result = figures(first, second)
    assert result.downtime_seconds == 3 * HOUR
    assert [c.seconds for c in result.counted] == [2 * HOUR, 2 * HOUR]
    # An outage inside another adds nothing either.
    inside = outage(ams(2026, 11, 10, 9, 30), ams(2026, 11, 10, 10, 30))
    assert figures(first, second, inside).downtime_seconds == 3 * HOUR


def test_planned_maintenance_does_not_count() -> None:
    planned = outage(ams(2026, 11, 11, 9), ams(2026, 11, 11, 10), planned=True)
    result = figures(planned)
    assert result.downtime_seconds == 0 and result.availability_percent == 100.0
    assert [(e.id, e.reason) for e in result.excluded] == [(planned.id, "planned maintenance")]


def test_an_outage_not_attributable_to_the_supplier_does_not_count() -> None:
    third = outage(
        ams(2026, 11, 12, 9), ams(2026, 11, 12, 15), attributable=False, cause="third-party"
    )
    result = figures(third)
    assert result.downtime_seconds == 0 and result.counted == ()
    assert [e.reason for e in result.excluded] == ["not attributable: third-party"]


def test_an_outage_wholly_outside_service_hours_is_listed_as_such() -> None:
    # Saturday 7 Nov 10:00-12:00.
    weekend = outage(ams(2026, 11, 7, 10), ams(2026, 11, 7, 12))
    result = figures(weekend)
    assert result.downtime_seconds == 0
    assert [e.reason for e in result.excluded] == ["outside service hours"]


def test_an_accepted_exclusion_takes_the_outage_out() -> None:
    excused = outage(ams(2026, 11, 13, 9), ams(2026, 11, 13, 10))
    result = figures(excused, excluded_ids=frozenset({excused.id}))
    assert result.downtime_seconds == 0
    assert [e.reason for e in result.excluded] == ["excluded by agreement"]


def test_an_outage_across_the_month_boundary_is_split_between_the_months() -> None:
    # Friday 30 Oct 16:00 to Monday 2 Nov 10:00: October gets Friday 16:00-17:00 (1 h),
    # November gets Monday 08:30-10:00 (1.5 h); the weekend in between has no service hours.
    across = outage(ams(2026, 10, 30, 16), ams(2026, 11, 2, 10))
    assert figures(across, month=date(2026, 10, 1)).downtime_seconds == 1 * HOUR
    assert figures(across).downtime_seconds == 1.5 * HOUR
    # An outage of another month does not appear in November at all.
    october = outage(ams(2026, 10, 29, 9), ams(2026, 10, 29, 10))
    assert figures(october).counted == () and figures(october).excluded == ()


def test_the_month_with_the_autumn_clock_change() -> None:
    # Clocks go back on Sunday 25 October 2026. October's 22 working days give 187 h.
    # Friday 23 Oct 16:00 CEST (14:00 UTC) to Monday 26 Oct 10:00 CET (09:00 UTC): 1 h on
    # Friday + 1.5 h on Monday, though the two moments are 67 hours apart, not 66.
    october = date(2026, 10, 1)
    across = outage(ams(2026, 10, 23, 16), ams(2026, 10, 26, 10))
    assert across.start == datetime(2026, 10, 23, 14, tzinfo=UTC)
    assert across.end == datetime(2026, 10, 26, 9, tzinfo=UTC)
    result = figures(across, month=october)
    assert result.service_seconds == 187 * HOUR
    assert result.downtime_seconds == 2.5 * HOUR
    # Round the clock, October has 31 x 24 + 1 = 745 hours: the night of the change has 25.
    always = ServiceCalendar(
        schedule=weekly({day: [(time(0), time(0))] for day in range(7)}),
        country=None,
        yearly_closed_days=frozenset(),
    )
    start, end = month_span(october)
    assert always.business_seconds(start, end) == 745 * HOUR


def test_an_ongoing_outage_counts_up_to_now_or_the_month_end() -> None:
    # Begun Monday 2 Nov 09:00 and still going at 11:00: 2 h so far.
    ongoing = outage(ams(2026, 11, 2, 9), None)
    assert figures(ongoing, now=ams(2026, 11, 2, 11)).downtime_seconds == 2 * HOUR
    # Begun Monday 30 Nov 16:00, still going on 2 December: November holds 16:00-17:00.
    late = outage(ams(2026, 11, 30, 16), None)
    assert figures(late, now=ams(2026, 12, 2, 12)).downtime_seconds == 1 * HOUR
    # Looked at before it began (a later month, now in November): not in that month yet.
    assert figures(ongoing, month=date(2026, 12, 1), now=ams(2026, 11, 2, 11)).counted == ()


def test_a_calendar_without_service_hours_in_the_month_is_100_percent() -> None:
    # Closed the whole of November (every working day an extra closed day).
    closed = ServiceCalendar(extra_closed_days=frozenset(date(2026, 11, d) for d in range(1, 31)))
    result = availability(
        closed,
        [outage(ams(2026, 11, 3, 9), ams(2026, 11, 3, 10))],
        month=NOVEMBER,
        norm=NORM,
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert result.service_seconds == 0 and result.availability_percent == 100.0
    assert [e.reason for e in result.excluded] == ["outside service hours"]


@pytest.mark.parametrize(
    ("downtime_hours", "percent", "meets"),
    # 0.6 % of 178.5 h is 1.071 h: just within the norm at 1.071 h, not at 1.08 h.
    [(1.071, 99.4, True), (1.08, 99.395, False)],
)
def test_the_norm_is_judged_on_the_rounded_figure(downtime_hours, percent, meets) -> None:
    start = ams(2026, 11, 3, 9)
    result = figures(
        outage(start, datetime.fromtimestamp(start.timestamp() + downtime_hours * HOUR, UTC))
    )
    assert result.availability_percent == percent and result.meets_norm is meets


def test_union_of_touching_intervals() -> None:
    a, b, c = (datetime(2026, 11, 3, h, tzinfo=UTC) for h in (9, 10, 11))
    assert union_seconds([(b, c), (a, b)]) == 2 * HOUR
    assert union_seconds([]) == 0


def test_the_part_within_a_maintenance_window_is_no_downtime() -> None:
    # Tuesday 3 Nov 15:00-17:00 down; the DAP's window Tuesday 16:00-22:00 covers its second
    # hour, so 1 h counts. A second outage, 18:00-19:00, is outside service hours anyway;
    # a third, Tuesday 10 Nov 16:00-17:00, lies wholly within the window.
    windows = [(ams(2026, 11, d, 16), ams(2026, 11, d, 22)) for d in (3, 10)]
    part = outage(ams(2026, 11, 3, 15), ams(2026, 11, 3, 17))
    evening = outage(ams(2026, 11, 3, 18), ams(2026, 11, 3, 19))
    inside = outage(ams(2026, 11, 10, 16), ams(2026, 11, 10, 17))
    result = figures(part, evening, inside, maintenance=windows)
    assert result.downtime_seconds == 1 * HOUR
    assert [(c.id, c.seconds) for c in result.counted] == [(part.id, 1 * HOUR)]
    assert {e.id: e.reason for e in result.excluded} == {
        evening.id: "outside service hours",
        inside.id: "within maintenance windows",
    }
    # The windows take nothing from the service time: the desk is open then.
    assert result.service_seconds == NOVEMBER_SERVICE
