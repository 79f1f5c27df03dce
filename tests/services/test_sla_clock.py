"""SLA clocks: response and restore clocks over ticket histories, worked out by hand.

Default calendar (Mon-Fri 08:30-17:00 Europe/Amsterdam, Dutch holidays) and the default
policy: urgent 1 h response / 2 h platform / 4 h application restore, high 2/4/8 h, medium
4/8 h / 1 month, low 8/16 h / 2 months; a month is 21 days x 8.5 h = 178.5 h.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.sla.calendar import ServiceCalendar
from services.sla.clock import (
    DEFAULT_POLICY,
    OUTSIDE_HOURS,
    PAUSED,
    RESPONSE,
    RESTORE_APPLICATION,
    RESTORE_PLATFORM,
    RUNNING,
    SERVICE_HOURS,
    STOPPED,
    ClockResult,
    Event,
    Policy,
    Segment,
    business_months,
    compute,
)

AMS = ZoneInfo("Europe/Amsterdam")
H, MIN = 3600, 60
CAL = ServiceCalendar()


def ams(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A wall-clock moment in Amsterdam, as the aware UTC datetime the clock takes."""
    return datetime(y, mo, d, h, mi, s, tzinfo=AMS).astimezone(UTC)


def opened(at: datetime, priority: str, status: str = "new") -> Event:
    return Event(at, "opened", status=status, priority=priority)


def status(at: datetime, value: str) -> Event:
    return Event(at, "status", status=value)


def priority(at: datetime, value: str) -> Event:
    return Event(at, "priority", priority=value)


def responded(at: datetime) -> Event:
    return Event(at, "responded")


def clock(events: list[Event], kind: str, now: datetime) -> ClockResult:
    result = compute(CAL, DEFAULT_POLICY, events, kind=kind, now=now)
    _check_timeline(result, events[0].at, now)
    return result


def _check_timeline(result: ClockResult, start: datetime, now: datetime) -> None:
    """Segments tile [opened, now] without gaps, and elapsed is the time they accrued."""
    ends = [start] + [s.end for s in result.segments]
    assert [s.start for s in result.segments] == ends[:-1]
    assert ends[-1] == now
    used = sum((s.end - s.start for s in result.segments if s.accrues), timedelta())
    assert used == timedelta(seconds=result.elapsed_seconds)


# --- response clock ----------------------------------------------------------------------------


def test_response_across_the_weekend() -> None:
    # Opened Fri 16 Jan 2026 16:30 CET, urgent response 1 h: 30 min on Friday, 30 min from
    # Monday 08:30 -> deadline Mon 19 Jan 09:00. On Saturday 30 min are used.
    events = [opened(ams(2026, 1, 16, 16, 30), "urgent")]
    result = clock(events, RESPONSE, now=ams(2026, 1, 17, 12))
    assert result.state == RUNNING and not result.paused and not result.breached
    assert (result.elapsed_seconds, result.remaining_seconds) == (30 * MIN, 30 * MIN)
    assert result.deadline == ams(2026, 1, 19, 9)
    assert result.percent_used == 50
    assert [(s.reason, s.end) for s in result.segments] == [
        (SERVICE_HOURS, ams(2026, 1, 16, 17)),
        (OUTSIDE_HOURS, ams(2026, 1, 17, 12)),
    ]


def test_breach_comes_only_after_the_deadline() -> None:
    # Same ticket: at Mon 09:00 exactly the hour is used but not overrun: no breach yet.
    events = [opened(ams(2026, 1, 16, 16, 30), "urgent")]
    at_deadline = clock(events, RESPONSE, now=ams(2026, 1, 19, 9))
    assert at_deadline.elapsed_seconds == H and at_deadline.breached_at is None
    # One second later it has run past the deadline: breached at Mon 09:00.
    after = clock(events, RESPONSE, now=ams(2026, 1, 19, 9, 0, 1))
    assert after.breached_at == ams(2026, 1, 19, 9) and after.percent_used > 100
    assert after.remaining_seconds == 0 and after.deadline == ams(2026, 1, 19, 9)


def test_first_response_stops_the_response_clock() -> None:
    # Opened Fri 16:30, responded Mon 08:45: 30 min Friday + 15 min Monday = 45 min, in time.
    # Later events (a status change, a second response) change nothing.
    events = [
        opened(ams(2026, 1, 16, 16, 30), "urgent"),
        responded(ams(2026, 1, 19, 8, 45)),
        status(ams(2026, 1, 19, 9), "in_progress"),
        responded(ams(2026, 1, 19, 10)),
    ]
    result = clock(events, RESPONSE, now=ams(2026, 1, 19, 12))
    assert result.state == STOPPED and result.stopped_at == ams(2026, 1, 19, 8, 45)
    assert result.elapsed_seconds == 45 * MIN and not result.breached
    assert result.deadline is None  # stopped with time left: it will never be reached
    assert result.segments[-1] == Segment(
        ams(2026, 1, 19, 8, 45), ams(2026, 1, 19, 12), STOPPED, "stopped: responded"
    )


def test_response_exactly_at_the_deadline_is_in_time() -> None:
    # Urgent, opened Fri 16:30, responded Mon 09:00 = exactly 1 h: reached, not breached.
    events = [opened(ams(2026, 1, 16, 16, 30), "urgent"), responded(ams(2026, 1, 19, 9))]
    result = clock(events, RESPONSE, now=ams(2026, 1, 20, 12))
    assert result.elapsed_seconds == H and result.breached_at is None
    assert result.deadline == ams(2026, 1, 19, 9) and result.percent_used == 100


def test_ticket_opened_outside_hours() -> None:
    # Opened Sat 17 Jan 2026 10:00, high response 2 h: nothing accrues until Mon 08:30, then
    # 2 h -> deadline Mon 10:30. At Mon 09:00, 30 min are used.
    events = [opened(ams(2026, 1, 17, 10), "high")]
    result = clock(events, RESPONSE, now=ams(2026, 1, 19, 9))
    assert result.elapsed_seconds == 30 * MIN
    assert result.deadline == ams(2026, 1, 19, 10, 30)
    assert [(s.state, s.reason) for s in result.segments] == [
        (RUNNING, OUTSIDE_HOURS),
        (RUNNING, SERVICE_HOURS),
    ]


def test_deadline_at_closing_time_then_breached_overnight() -> None:
    # Tue 13 Jan 2026 15:00, urgent platform restore 2 h -> deadline Tue 17:00 exactly (not
    # Wed 08:30). Still open Wed 08:00: the clock ran on past 17:00, so breached at 17:00,
    # though no more business time has been used (elapsed = target).
    events = [opened(ams(2026, 1, 13, 15), "urgent")]
    result = clock(events, RESTORE_PLATFORM, now=ams(2026, 1, 14, 8))
    assert result.deadline == ams(2026, 1, 13, 17)
    assert result.breached_at == ams(2026, 1, 13, 17)
    assert result.elapsed_seconds == 2 * H and result.percent_used == 100


def test_resolution_stops_an_unanswered_response_clock_for_good() -> None:
    # High (response 2 h), opened Mon 12 Jan 09:00, resolved 11:00 without a response event:
    # 2 h used exactly, in time. Reopened Wed 09:00: the response clock stays stopped.
    events = [
        opened(ams(2026, 1, 12, 9), "high"),
        status(ams(2026, 1, 12, 11), "resolved"),
        status(ams(2026, 1, 14, 9), "in_progress"),
    ]
    result = clock(events, RESPONSE, now=ams(2026, 1, 14, 12))
    assert result.state == STOPPED and result.stopped_at == ams(2026, 1, 12, 11)
    assert result.elapsed_seconds == 2 * H and not result.breached
    assert {s.reason for s in result.segments if s.state == STOPPED} == {"stopped: resolved"}


# --- pauses --------------------------------------------------------------------------------------


def test_pause_inside_service_hours() -> None:
    # High platform restore 4 h, opened Mon 12 Jan 2026 09:00; waiting for the reporter
    # 10:00 until Tue 09:00. 1 h on Monday, then 3 h from Tue 09:00 -> deadline Tue 12:00.
    events = [
        opened(ams(2026, 1, 12, 9), "high"),
        status(ams(2026, 1, 12, 10), "waiting_reporter"),
        status(ams(2026, 1, 13, 9), "in_progress"),
    ]
    result = clock(events, RESTORE_PLATFORM, now=ams(2026, 1, 13, 10))
    assert result.elapsed_seconds == 2 * H  # Mon 09:00-10:00 and Tue 09:00-10:00
    assert result.deadline == ams(2026, 1, 13, 12)
    assert [(s.start, s.state, s.reason) for s in result.segments] == [
        (ams(2026, 1, 12, 9), RUNNING, SERVICE_HOURS),
        (ams(2026, 1, 12, 10), PAUSED, "paused: waiting_reporter"),
        (ams(2026, 1, 13, 9), RUNNING, SERVICE_HOURS),
    ]


def test_paused_now_has_no_deadline() -> None:
    # Same ticket seen at Mon 15:00 while waiting: 1 h used, 3 h left, no deadline while the
    # resumption is unknown.
    events = [opened(ams(2026, 1, 12, 9), "high"), status(ams(2026, 1, 12, 10), "waiting_change")]
    result = clock(events, RESTORE_PLATFORM, now=ams(2026, 1, 12, 15))
    assert result.paused and result.state == PAUSED
    assert (result.elapsed_seconds, result.remaining_seconds) == (H, 3 * H)
    assert result.deadline is None and result.stopped_at is None


def test_pause_outside_hours_changes_nothing_then_eats_the_morning() -> None:
    # High response 2 h, opened Mon 12 Jan 2026 16:30 CET: 30 min on Monday.
    base = [opened(ams(2026, 1, 12, 16, 30), "high")]
    # Waiting for a third party Mon 17:30 -> Tue 08:00, both outside hours: the deadline is
    # still Tue 08:30 + 1.5 h = 10:00, as without the pause.
    night = [
        *base,
        status(ams(2026, 1, 12, 17, 30), "waiting_third_party"),
        status(ams(2026, 1, 13, 8), "in_progress"),
    ]
    assert clock(base, RESPONSE, ams(2026, 1, 13, 8, 15)).deadline == ams(2026, 1, 13, 10)
    assert clock(night, RESPONSE, ams(2026, 1, 13, 8, 15)).deadline == ams(2026, 1, 13, 10)
    # The pause lasting until Tue 09:30 takes 08:30-09:30 too: 1.5 h from 09:30 -> 11:00.
    morning = [*night[:2], status(ams(2026, 1, 13, 9, 30), "in_progress")]
    result = clock(morning, RESPONSE, ams(2026, 1, 13, 10))
    assert result.elapsed_seconds == 1 * H and result.deadline == ams(2026, 1, 13, 11)


def test_pause_exactly_at_the_deadline_breaches_when_work_resumes() -> None:
    # Urgent response 1 h, opened Mon 12 Jan 09:00 -> due 10:00. Paused at 10:00 exactly,
    # so not breached while waiting; resumed at 11:00 without a response: breached at 11:00.
    events = [
        opened(ams(2026, 1, 12, 9), "urgent"),
        status(ams(2026, 1, 12, 10), "needs_information"),
    ]
    waiting = clock(events, RESPONSE, now=ams(2026, 1, 12, 10, 30))
    assert waiting.paused and waiting.breached_at is None
    assert waiting.deadline == ams(2026, 1, 12, 10)  # reached, in the past
    resumed = clock(
        [*events, status(ams(2026, 1, 12, 11), "in_progress")], RESPONSE, ams(2026, 1, 12, 11, 30)
    )
    assert resumed.breached_at == ams(2026, 1, 12, 11)
    assert resumed.elapsed_seconds == 1.5 * H


# --- priority changes ------------------------------------------------------------------------


def test_priority_raised_before_the_new_target_is_used() -> None:
    # Medium (4 h) opened Mon 12 Jan 09:00, raised to urgent (1 h) at 09:30 with 30 min used:
    # the urgent target counts from the opening -> due 10:00. At 09:45 not breached.
    events = [opened(ams(2026, 1, 12, 9), "medium"), priority(ams(2026, 1, 12, 9, 30), "urgent")]
    result = clock(events, RESPONSE, now=ams(2026, 1, 12, 9, 45))
    assert result.priority == "urgent" and result.target_seconds == H
    assert result.elapsed_seconds == 45 * MIN and result.deadline == ams(2026, 1, 12, 10)
    assert not result.breached


def test_priority_raised_after_the_new_target_was_used_breaches_at_the_raise() -> None:
    # Medium opened Mon 09:00, raised to urgent at 11:00 with 2 h used: 1 h was reached at
    # 10:00, but the urgent target applies only from 11:00 -> due and breached at 11:00.
    events = [opened(ams(2026, 1, 12, 9), "medium"), priority(ams(2026, 1, 12, 11), "urgent")]
    result = clock(events, RESPONSE, now=ams(2026, 1, 12, 12))
    assert result.deadline == ams(2026, 1, 12, 11) and result.breached_at == ams(2026, 1, 12, 11)
    assert result.elapsed_seconds == 3 * H and result.percent_used == 300


def test_priority_lowered_lifts_an_earlier_breach() -> None:
    # Urgent (1 h) opened Mon 09:00, overrun at 10:00, lowered to low (8 h) at 11:00: judged
    # against 8 h alone. 08:30 is not counted (opened 09:00): 8 h from 09:00 ends at 17:00.
    events = [opened(ams(2026, 1, 12, 9), "urgent"), priority(ams(2026, 1, 12, 11), "low")]
    result = clock(events, RESPONSE, now=ams(2026, 1, 12, 12))
    assert result.target_seconds == 8 * H and result.elapsed_seconds == 3 * H
    assert not result.breached and result.deadline == ams(2026, 1, 12, 17)


def test_priority_change_keeps_the_time_used() -> None:
    # High platform restore (4 h) opened Mon 09:00; lowered to medium (8 h) at 12:00 with 3 h
    # used: 5 h left, 12:00-17:00 -> due Mon 17:00. Setting the same priority again (13:00)
    # does not move the start of the target.
    events = [
        opened(ams(2026, 1, 12, 9), "high"),
        priority(ams(2026, 1, 12, 12), "medium"),
        priority(ams(2026, 1, 12, 13), "medium"),
    ]
    result = clock(events, RESTORE_PLATFORM, now=ams(2026, 1, 12, 14))
    assert result.elapsed_seconds == 5 * H and result.remaining_seconds == 3 * H
    assert result.deadline == ams(2026, 1, 12, 17)


def test_setting_the_same_priority_again_keeps_an_earlier_breach() -> None:
    # Urgent response 1 h, opened Mon 12 Jan 09:00, overrun at 10:00; "urgent" set again at
    # 11:00 is no change, so the breach stays at 10:00 (a real raise would move it to 11:00).
    events = [opened(ams(2026, 1, 12, 9), "urgent"), priority(ams(2026, 1, 12, 11), "urgent")]
    result = clock(events, RESPONSE, now=ams(2026, 1, 12, 12))
    assert result.breached_at == ams(2026, 1, 12, 10) and result.deadline == ams(2026, 1, 12, 10)


# --- reopening -----------------------------------------------------------------------------


def test_reopen_resumes_with_the_time_used_before() -> None:
    # High platform restore 4 h, opened Mon 12 Jan 09:00, resolved 11:00 (2 h used), reopened
    # Wed 14 Jan 09:00: 2 h left -> due Wed 11:00. At Wed 10:00, 3 h are used.
    events = [
        opened(ams(2026, 1, 12, 9), "high"),
        status(ams(2026, 1, 12, 11), "resolved"),
        status(ams(2026, 1, 14, 9), "in_progress"),
    ]
    result = clock(events, RESTORE_PLATFORM, now=ams(2026, 1, 14, 10))
    assert result.state == RUNNING and result.stopped_at is None
    assert result.elapsed_seconds == 3 * H and result.deadline == ams(2026, 1, 14, 11)
    assert (
        Segment(ams(2026, 1, 12, 11), ams(2026, 1, 14, 9), STOPPED, "stopped: resolved")
        in result.segments
    )


def test_resolved_then_closed_stopped_at_the_resolution() -> None:
    # Resolved Mon 11:00, closed Tue 11:00: the clock stopped at the resolution, 2 h used.
    events = [
        opened(ams(2026, 1, 12, 9), "high"),
        status(ams(2026, 1, 12, 11), "resolved"),
        status(ams(2026, 1, 13, 11), "closed"),
    ]
    result = clock(events, RESTORE_PLATFORM, now=ams(2026, 1, 15, 9))
    assert result.stopped_at == ams(2026, 1, 12, 11) and result.elapsed_seconds == 2 * H
    assert [s.reason for s in result.segments[-2:]] == ["stopped: resolved", "stopped: closed"]


# --- holidays, DST and months ----------------------------------------------------------------


def test_christmas_and_boxing_day() -> None:
    # Low response 8 h, opened Wed 24 Dec 2025 15:00 CET: 2 h Wednesday; 25 and 26 Dec and
    # the weekend closed; 6 h from Mon 29 Dec 08:30 -> 14:30.
    events = [opened(ams(2025, 12, 24, 15), "low")]
    assert clock(events, RESPONSE, ams(2025, 12, 27)).deadline == ams(2025, 12, 29, 14, 30)


def test_easter_monday_and_kings_day() -> None:
    # Urgent application restore 4 h, opened Fri 3 Apr 2026 15:00 CEST: 2 h Friday; Easter
    # Monday 6 Apr closed -> Tue 7 Apr 10:30.
    events = [opened(ams(2026, 4, 3, 15), "urgent")]
    assert clock(events, RESTORE_APPLICATION, ams(2026, 4, 4)).deadline == ams(2026, 4, 7, 10, 30)
    # Opened Fri 24 Apr 2026 16:00: 1 h Friday; King's Day Mon 27 Apr closed -> Tue 11:30.
    events = [opened(ams(2026, 4, 24, 16), "urgent")]
    assert clock(events, RESTORE_APPLICATION, ams(2026, 4, 25)).deadline == ams(2026, 4, 28, 11, 30)


def test_dst_spring_forward_week() -> None:
    # Urgent application restore 4 h, opened Fri 27 Mar 2026 16:00 CET (15:00 UTC): 1 h
    # Friday; clocks go forward Sunday; 3 h from Mon 08:30 CEST -> 11:30 CEST = 09:30 UTC.
    events = [opened(ams(2026, 3, 27, 16), "urgent")]
    result = clock(events, RESTORE_APPLICATION, ams(2026, 3, 30, 8))
    assert result.deadline == datetime(2026, 3, 30, 9, 30, tzinfo=UTC)
    assert result.elapsed_seconds == H


def test_dst_fall_back_week() -> None:
    # High platform restore 4 h, opened Fri 23 Oct 2026 15:00 CEST (13:00 UTC): 2 h Friday;
    # clocks go back Sunday; 2 h from Mon 08:30 CET -> 10:30 CET = 09:30 UTC.
    events = [opened(ams(2026, 10, 23, 15), "high")]
    result = clock(events, RESTORE_PLATFORM, ams(2026, 10, 26, 9, 30))
    assert result.deadline == datetime(2026, 10, 26, 9, 30, tzinfo=UTC)
    assert result.elapsed_seconds == 3 * H and result.breached_at is None


def test_month_targets() -> None:
    assert business_months(1) == 21 * 8.5 * H == 642_600
    # Medium application restore, 1 month = 21 business days, opened Mon 2 Feb 2026 08:30:
    # February has no holidays; 4 weeks = 20 days end Fri 27 Feb, day 21 is Mon 2 Mar -> 17:00.
    events = [opened(ams(2026, 2, 2, 8, 30), "medium")]
    assert clock(events, RESTORE_APPLICATION, ams(2026, 2, 2, 9)).deadline == ams(2026, 3, 2, 17)
    # Low, 2 months = 42 days: day 21 Mon 2 Mar, then 3-6 Mar (25), 9-13 (30), 16-20 (35),
    # 23-27 (40), Mon 30 and Tue 31 Mar (42) -> Tue 31 Mar 17:00 CEST, after the DST switch.
    events = [opened(ams(2026, 2, 2, 8, 30), "low")]
    assert clock(events, RESTORE_APPLICATION, ams(2026, 2, 2, 9)).deadline == ams(2026, 3, 31, 17)


def test_month_target_across_spring_holidays() -> None:
    # Medium application restore opened Mon 20 Apr 2026 08:30: 20-24 Apr (5), King's Day
    # 27 Apr closed, 28-30 Apr (8), Fri 1 May (9), Mon 4 May (10), 5 May closed, 6-8 May (13),
    # 11-13 May (16), Ascension 14 May closed, Fri 15 May (17), 18-21 May (21) -> Thu 21 May 17:00.
    events = [opened(ams(2026, 4, 20, 8, 30), "medium")]
    assert clock(events, RESTORE_APPLICATION, ams(2026, 4, 20, 9)).deadline == ams(2026, 5, 21, 17)


# --- the history's shape ---------------------------------------------------------------------


def test_events_after_now_are_ignored_and_same_moment_events_keep_their_order() -> None:
    # Opened Mon 09:00, at 10:00 put on hold and taken up again in one go (in that order):
    # the clock runs on. The resolution at 15:00 is after now (12:00), so it does not count.
    events = [
        opened(ams(2026, 1, 12, 9), "high"),
        status(ams(2026, 1, 12, 15), "resolved"),
        status(ams(2026, 1, 12, 10), "waiting_reporter"),
        status(ams(2026, 1, 12, 10), "in_progress"),
    ]
    result = clock(events, RESTORE_PLATFORM, now=ams(2026, 1, 12, 12))
    assert result.state == RUNNING and result.elapsed_seconds == 3 * H
    assert [s.reason for s in result.segments] == [SERVICE_HOURS]


def test_opened_this_instant() -> None:
    # Nothing used yet: high response 2 h from Mon 09:00 -> 11:00.
    result = clock([opened(ams(2026, 1, 12, 9), "high")], RESPONSE, now=ams(2026, 1, 12, 9))
    assert result.segments == [] and result.elapsed_seconds == 0
    assert result.deadline == ams(2026, 1, 12, 11)


def test_refuses_bad_histories() -> None:
    start = ams(2026, 1, 12, 9)
    good = [opened(start, "high")]
    with pytest.raises(ValueError, match="naive"):
        compute(CAL, DEFAULT_POLICY, good, kind=RESPONSE, now=datetime(2026, 1, 12, 10))
    with pytest.raises(ValueError, match="naive"):
        compute(
            CAL,
            DEFAULT_POLICY,
            [Event(datetime(2026, 1, 12), "opened", priority="high")],
            kind=RESPONSE,
            now=start,
        )
    with pytest.raises(ValueError, match="starts with"):
        compute(CAL, DEFAULT_POLICY, [status(start, "new")], kind=RESPONSE, now=start)
    with pytest.raises(ValueError, match="opened once"):
        compute(CAL, DEFAULT_POLICY, [*good, opened(start, "low")], kind=RESPONSE, now=start)
    with pytest.raises(ValueError, match="before the ticket was opened"):
        compute(CAL, DEFAULT_POLICY, good, kind=RESPONSE, now=start - timedelta(1))
    with pytest.raises(ValueError, match="unknown clock kind"):
        compute(CAL, DEFAULT_POLICY, good, kind="restore", now=start)
    with pytest.raises(ValueError, match="no response target"):
        compute(CAL, DEFAULT_POLICY, [opened(start, "critical")], kind=RESPONSE, now=start)
    with pytest.raises(ValueError, match="without a status"):
        compute(CAL, DEFAULT_POLICY, [*good, Event(start, "status")], kind=RESPONSE, now=start)
    with pytest.raises(ValueError, match="bad target"):
        Policy(targets={"high": {RESPONSE: 0}})


# --- properties ------------------------------------------------------------------------------

STATUSES = ["in_progress", "waiting_reporter", "waiting_third_party", "resolved", "closed"]
STEP = st.tuples(
    st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes after the previous event
    st.one_of(
        st.sampled_from(STATUSES).map(lambda s: ("status", s)),
        st.sampled_from(["urgent", "high", "medium", "low"]).map(lambda p: ("priority", p)),
        st.just(("responded", "")),
    ),
)
OPENINGS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 10, 1), timezones=st.just(UTC)
)
KIND = st.sampled_from([RESPONSE, RESTORE_PLATFORM, RESTORE_APPLICATION])


def history(start: datetime, first: str, steps: list[tuple[int, tuple[str, str]]]) -> list[Event]:
    events, at = [opened(start, first)], start
    for minutes, (kind, value) in steps:
        at += timedelta(minutes=minutes)
        if kind == "status":
            events.append(status(at, value))
        elif kind == "priority":
            events.append(priority(at, value))
        else:
            events.append(responded(at))
    return events


@settings(max_examples=80, deadline=None)
@given(
    OPENINGS,
    st.sampled_from(["urgent", "low"]),
    st.lists(STEP, max_size=8),
    KIND,
    st.lists(st.integers(0, 30 * 24 * 60), min_size=2, max_size=4),
)
def test_elapsed_never_decreases_as_now_grows(start, first, steps, kind, offsets) -> None:
    events = history(start, first, steps)
    elapsed = [
        clock(events, kind, start + timedelta(minutes=m)).elapsed_seconds for m in sorted(offsets)
    ]
    assert elapsed == sorted(elapsed)


@settings(max_examples=80, deadline=None)
@given(
    OPENINGS,
    KIND,
    st.integers(0, 5 * 24 * 60),
    st.integers(0, 5 * 24 * 60),
    st.integers(0, 5 * 24 * 60),
)
def test_paused_time_never_counts(start, kind, before, pause, after) -> None:
    # The same ticket with and without a pause: the difference is the business time paused.
    pause_start = start + timedelta(minutes=before)
    pause_end = pause_start + timedelta(minutes=pause)
    now = pause_end + timedelta(minutes=after)
    plain = [opened(start, "low")]
    held = [*plain, status(pause_start, "waiting_reporter"), status(pause_end, "in_progress")]
    lost = CAL.business_time(pause_start, pause_end)
    with_pause = timedelta(seconds=clock(held, kind, now).elapsed_seconds)
    without = timedelta(seconds=clock(plain, kind, now).elapsed_seconds)
    assert with_pause == without - lost
    assert with_pause == CAL.business_time(start, pause_start) + CAL.business_time(pause_end, now)


@settings(max_examples=80, deadline=None)
@given(OPENINGS, st.lists(STEP, max_size=8), KIND, st.integers(0, 30 * 24 * 60))
def test_deadline_and_breach_agree_with_the_time_used(start, steps, kind, minutes) -> None:
    now = start + timedelta(minutes=minutes)
    result = clock(history(start, "high", steps), kind, now)
    if result.state == RUNNING and result.remaining_seconds > 0:
        # Running with time left: exactly the remaining business time lies before the deadline.
        assert result.deadline is not None
        remaining = timedelta(seconds=result.remaining_seconds)
        assert CAL.business_time(now, result.deadline) == remaining
    if result.breached_at is not None:
        assert result.elapsed_seconds >= result.target_seconds
        assert result.deadline is not None and result.breached_at >= result.deadline
    if result.elapsed_seconds < result.target_seconds:
        assert result.breached_at is None
