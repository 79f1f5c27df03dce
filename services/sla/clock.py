"""SLA clocks: how much business time a ticket has used of its target, and when it is due.

`compute` replays a ticket's history (its events) up to `now` against a service calendar
and a policy, for one kind of clock, and returns a timeline of segments with the figures
derived from it. It is pure: no clock is read, nothing is stored.

The rules it applies:

* Clocks. "response" runs from the opening until the first "responded" event, or until the
  ticket first reaches a stop status (a resolution answers the reporter too), and never
  starts again. "restore_platform" and "restore_application" run from the opening until a
  stop status (resolved, closed). An incident of a class (platform or application) has only
  its class's restore clock (`kinds_for`); like the priority, its current class applies to
  its whole history, so a reclassified incident's restore clock counts from the opening.
* Reopening. A status event from a stop status back to an open one restarts the restore
  clocks, which keep the time used before: business time used is never given back.
* Pauses. While the ticket has a pause status, no clock accrues time, at any hour.
* Business time. A running clock accrues time only within the calendar's service hours;
  outside them it is still running (segment reason "outside service hours") but accrues
  nothing.
* Priority changes. The target is always that of the current priority, applied to the whole
  ticket: time used counts from the opening and is never reset or rescaled by a change.
  The deadline is the moment the time used reaches that target, but never earlier than the
  moment the current priority was set: a ticket raised to urgent when it had already used
  more than the urgent target is due, and breached, at the moment it was raised, not
  retroactively. A breach of an earlier priority's target is not kept: a ticket is judged
  against its current priority alone, so lowering the priority can lift a breach. The
  history of priority changes stays in the events, for audit.
* Breach. A clock is breached when it is still running after its deadline, inside service
  hours or not; `breached_at` is the first such moment. A response or a resolution exactly
  at the deadline is in time, and so is a pause starting exactly then (the breach then
  comes when the clock runs again).
* Deadline. While the clock runs, the moment its target will be reached if it keeps running
  from `now`. While it is paused or stopped with target left, None: when it will be reached
  depends on when it runs again. Once the target is reached, that moment, in the past.
* Warning. While the clock runs, `warn_at` is the moment the time used reaches
  `WARN_SHARE` (75 %) of the target (not before the current priority was set), in business
  time: ahead while short of it, the past moment once crossed, so a late sweep still warns.
  None while paused or stopped: when it will be reached depends on when it runs again.
* Month targets. The policy counts every target in business seconds. A target of months is
  converted at 21 business days of 8.5 hours (08:30-17:00) a month: about 250 working days
  a year, less the public holidays, over twelve. `business_months` does the conversion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.sla.calendar import ServiceCalendar, utc

RESPONSE = "response"
RESTORE_PLATFORM = "restore_platform"
RESTORE_APPLICATION = "restore_application"
KINDS = (RESPONSE, RESTORE_PLATFORM, RESTORE_APPLICATION)
CLASSES = {"platform": RESTORE_PLATFORM, "application": RESTORE_APPLICATION}
PRIORITIES = ("urgent", "high", "medium", "low")
EVENT_KINDS = ("opened", "status", "priority", "responded")
INITIAL_STATUS = "new"

RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"
SERVICE_HOURS = "service hours"
OUTSIDE_HOURS = "outside service hours"
RESPONDED = "stopped: responded"

HOUR = 3600
WARN_SHARE = 0.75  # the share of a target at which a breach warning goes out
BUSINESS_DAY_HOURS = 8.5
BUSINESS_DAYS_PER_MONTH = 21


def business_hours(hours: float) -> float:
    """`hours` of business time, in seconds."""
    return hours * HOUR


def business_months(
    months: float,
    *,
    day_hours: float = BUSINESS_DAY_HOURS,
    days_per_month: float = BUSINESS_DAYS_PER_MONTH,
) -> float:
    """`months` of business time in seconds: 21 business days of 8.5 hours a month by default."""
    return months * days_per_month * day_hours * HOUR


def kinds_for(incident_class: str | None) -> tuple[str, ...]:
    """The clocks a ticket runs: response and its class's restore clock, or all three for a
    ticket without a class (counted types other than incidents)."""
    if incident_class is None:
        return KINDS
    if incident_class not in CLASSES:
        raise ValueError(f"unknown incident class {incident_class!r}; one of {tuple(CLASSES)}")
    return (RESPONSE, CLASSES[incident_class])


@dataclass(frozen=True)
class Policy:
    """Targets by priority and clock kind, in business seconds; the statuses that hold clocks."""

    targets: Mapping[str, Mapping[str, float]]
    paused_statuses: frozenset[str] = frozenset(
        {"waiting_reporter", "waiting_third_party", "waiting_change", "needs_information"}
    )
    stopped_statuses: frozenset[str] = frozenset({"resolved", "closed"})

    def __post_init__(self) -> None:
        for priority, targets in self.targets.items():
            for kind, seconds in targets.items():
                if kind not in KINDS or not seconds > 0:
                    raise ValueError(f"bad target {priority}/{kind}: {seconds!r}")
        if self.paused_statuses & self.stopped_statuses:
            raise ValueError("a status cannot both pause and stop a clock")

    def target_seconds(self, priority: str, kind: str) -> float:
        """The target of one priority and clock kind; ValueError when the policy has none."""
        try:
            return self.targets[priority][kind]
        except KeyError:
            raise ValueError(f"no {kind} target for priority {priority!r}") from None


DEFAULT_POLICY = Policy(
    targets={
        "urgent": {
            RESPONSE: business_hours(1),
            RESTORE_PLATFORM: business_hours(2),
            RESTORE_APPLICATION: business_hours(4),
        },
        "high": {
            RESPONSE: business_hours(2),
            RESTORE_PLATFORM: business_hours(4),
            RESTORE_APPLICATION: business_hours(8),
        },
        "medium": {
            RESPONSE: business_hours(4),
            RESTORE_PLATFORM: business_hours(8),
            RESTORE_APPLICATION: business_months(1),
        },
        "low": {
            RESPONSE: business_hours(8),
            RESTORE_PLATFORM: business_hours(16),
            RESTORE_APPLICATION: business_months(2),
        },
    }
)


@dataclass(frozen=True)
class Event:
    """One entry of a ticket's history: opened (with priority), status, priority, responded."""

    at: datetime
    kind: str
    status: str | None = None
    priority: str | None = None


@dataclass(frozen=True)
class Segment:
    """A stretch of [start, end) in which the clock was in one state for one reason."""

    start: datetime
    end: datetime
    state: str
    reason: str

    @property
    def accrues(self) -> bool:
        """Whether business time was used during this segment."""
        return self.state == RUNNING and self.reason == SERVICE_HOURS

    @property
    def business_seconds(self) -> float:
        """The business time used during this segment, in seconds."""
        return (self.end - self.start).total_seconds() if self.accrues else 0.0


@dataclass(frozen=True)
class ClockResult:
    """One clock of one ticket as of `now`; see the module docstring for the rules."""

    kind: str
    priority: str
    state: str
    segments: list[Segment]
    elapsed_seconds: float
    target_seconds: float
    remaining_seconds: float
    deadline: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    warn_at: datetime | None = None

    @property
    def paused(self) -> bool:
        """Whether a pause status holds the clock at `now`."""
        return self.state == PAUSED

    @property
    def breached(self) -> bool:
        """Whether the clock ran on after its deadline."""
        return self.breached_at is not None

    @property
    def percent_used(self) -> float:
        """Business time used as a percentage of the target; above 100 once overrun."""
        return 100 * self.elapsed_seconds / self.target_seconds


@dataclass
class _Ticket:
    """The ticket's state while its history is replayed."""

    status: str
    priority: str
    priority_since: datetime
    # Why the response clock ended, once it has: it never runs again after that.
    response_end: str | None = None
    phases: list[Segment] = field(default_factory=list)


def compute(
    calendar: ServiceCalendar,
    policy: Policy,
    events: Iterable[Event],
    *,
    kind: str,
    now: datetime,
) -> ClockResult:
    """The clock of `kind` for the ticket with these events, as of `now`."""
    if kind not in KINDS:
        raise ValueError(f"unknown clock kind {kind!r}; one of {KINDS}")
    now = utc(now)
    ticket = _replay(policy, _history(events, now), kind, now)
    target = timedelta(seconds=policy.target_seconds(ticket.priority, kind))
    segments = _merge(_expand(calendar, phase) for phase in ticket.phases)
    elapsed = sum((s.end - s.start for s in segments if s.accrues), timedelta())
    state, _ = _state(policy, kind, ticket)
    due = _due(segments, target, ticket.priority_since)
    warn_at = None
    if state == RUNNING:
        due = due or calendar.add_business_time(now, target - elapsed)
        share = target * WARN_SHARE
        warned = _due(segments, share, ticket.priority_since)
        warn_at = warned or calendar.add_business_time(now, share - elapsed)
    return ClockResult(
        kind=kind,
        priority=ticket.priority,
        state=state,
        segments=segments,
        elapsed_seconds=elapsed.total_seconds(),
        target_seconds=target.total_seconds(),
        remaining_seconds=max(target - elapsed, timedelta()).total_seconds(),
        deadline=due,
        breached_at=_breach(segments, due),
        stopped_at=_stopped_at(segments, now) if state == STOPPED else None,
        warn_at=warn_at,
    )


def _history(events: Iterable[Event], now: datetime) -> list[Event]:
    """The events up to `now` in time order, in UTC; checks the history is well formed."""
    # A stable sort: events of one moment keep the order they were given in.
    ordered = sorted((_in_utc(event) for event in events), key=lambda e: e.at)
    for event in ordered:
        if event.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {event.kind!r}")
    if not ordered or ordered[0].kind != "opened":
        raise ValueError("a ticket's history starts with its 'opened' event")
    if any(event.kind == "opened" for event in ordered[1:]):
        raise ValueError("a ticket is opened once")
    if now < ordered[0].at:
        raise ValueError(f"now ({now}) is before the ticket was opened ({ordered[0].at})")
    return [event for event in ordered if event.at <= now]


def _in_utc(event: Event) -> Event:
    """The event with its moment in UTC; refuses a naive moment."""
    at = utc(event.at)
    return event if at is event.at else Event(at, event.kind, event.status, event.priority)


def _replay(policy: Policy, history: list[Event], kind: str, now: datetime) -> _Ticket:
    """The ticket after its history, with the clock's phases (not yet split by service hours)."""
    opened = history[0]
    if opened.priority is None:
        raise ValueError("the 'opened' event names the priority")
    policy.target_seconds(opened.priority, kind)  # fail early on an unknown priority
    ticket = _Ticket(opened.status or INITIAL_STATUS, opened.priority, opened.at)
    _apply(policy, kind, ticket, opened)
    start, current = opened.at, _state(policy, kind, ticket)
    for event in history[1:]:
        _apply(policy, kind, ticket, event)
        state = _state(policy, kind, ticket)
        if state != current:
            ticket.phases.append(Segment(start, event.at, *current))
            start, current = event.at, state
    ticket.phases.append(Segment(start, now, *current))
    ticket.phases = [phase for phase in ticket.phases if phase.end > phase.start]
    return ticket


def _apply(policy: Policy, kind: str, ticket: _Ticket, event: Event) -> None:
    """Change the ticket as one event says."""
    if event.kind == "status":
        if event.status is None:
            raise ValueError(f"status event at {event.at} without a status")
        ticket.status = event.status
    elif event.kind == "priority":
        if event.priority is None:
            raise ValueError(f"priority event at {event.at} without a priority")
        policy.target_seconds(event.priority, kind)
        if event.priority != ticket.priority:
            ticket.priority, ticket.priority_since = event.priority, event.at
    if ticket.response_end is None:
        if event.kind == "responded":
            ticket.response_end = RESPONDED
        elif ticket.status in policy.stopped_statuses:
            ticket.response_end = f"stopped: {ticket.status}"


def _state(policy: Policy, kind: str, ticket: _Ticket) -> tuple[str, str]:
    """The clock's state and reason for the ticket as it is now."""
    if kind == RESPONSE and ticket.response_end is not None:
        return STOPPED, ticket.response_end
    if ticket.status in policy.stopped_statuses:
        return STOPPED, f"stopped: {ticket.status}"
    if ticket.status in policy.paused_statuses:
        return PAUSED, f"paused: {ticket.status}"
    return RUNNING, SERVICE_HOURS


def _expand(calendar: ServiceCalendar, phase: Segment) -> list[Segment]:
    """A running phase split into service hours and the time outside them; others as they are."""
    if phase.state != RUNNING:
        return [phase]
    parts, cursor = [], phase.start
    for low, high in calendar.business_intervals(phase.start, phase.end):
        if low > cursor:
            parts.append(Segment(cursor, low, RUNNING, OUTSIDE_HOURS))
        parts.append(Segment(low, high, RUNNING, SERVICE_HOURS))
        cursor = high
    if cursor < phase.end:
        parts.append(Segment(cursor, phase.end, RUNNING, OUTSIDE_HOURS))
    return parts


def _merge(groups: Iterable[list[Segment]]) -> list[Segment]:
    """The segments in order, neighbours of the same state and reason joined into one."""
    merged: list[Segment] = []
    for segment in (s for group in groups for s in group):
        last = merged[-1] if merged else None
        if last and (last.state, last.reason, last.end) == (
            segment.state,
            segment.reason,
            segment.start,
        ):
            merged[-1] = Segment(last.start, segment.end, last.state, last.reason)
        else:
            merged.append(segment)
    return merged


def _due(segments: list[Segment], target: timedelta, since: datetime) -> datetime | None:
    """When the time used reached `target` (not before `since`), or None if it has not yet."""
    used = timedelta()
    for segment in segments:
        if segment.accrues:
            span = segment.end - segment.start
            if used + span >= target:
                return max(segment.start + (target - used), since)
            used += span
    return None


def _breach(segments: list[Segment], due: datetime | None) -> datetime | None:
    """The first moment from `due` on at which the clock was running, or None."""
    if due is None:
        return None
    for segment in segments:
        if segment.state == RUNNING and segment.end > due:
            return max(segment.start, due)
    return None


def decided_at(breached_at: datetime | None, stopped_at: datetime | None) -> datetime | None:
    """When a clock's outcome was decided, the moment a period's figures count it in: its
    breach, unless it stopped before that; None while it runs unbreached."""
    if breached_at is not None and (stopped_at is None or breached_at <= stopped_at):
        return breached_at
    return stopped_at


def _stopped_at(segments: list[Segment], now: datetime) -> datetime:
    """When the clock last stopped: the start of the stopped segments that end the timeline."""
    stopped_at = now
    for segment in reversed(segments):
        if segment.state != STOPPED:
            break
        stopped_at = segment.start
    return stopped_at
