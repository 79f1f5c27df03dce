"""The ticket life cycle as explicit transitions, and the default priority matrix."""

from __future__ import annotations

from tickets.models import Level, Priority, Status

S = Status
WAITING = frozenset({S.waiting_reporter, S.waiting_third_party, S.waiting_change})
# The clocks stop in these; the SLA module reads them from here.
PAUSED = WAITING | {S.needs_information}
DONE = frozenset({S.resolved, S.closed, S.rejected})
OPEN = frozenset(Status) - DONE

_WORKING = {S.in_progress, S.needs_information, S.resolved, S.rejected} | WAITING
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.new: frozenset({S.assigned} | _WORKING),
    S.assigned: frozenset(_WORKING),
    S.in_progress: frozenset({S.assigned} | _WORKING - {S.in_progress}),
    S.needs_information: frozenset({S.new, S.assigned, S.in_progress, S.rejected}),
    S.waiting_reporter: frozenset({S.in_progress, S.resolved}),
    S.waiting_third_party: frozenset({S.in_progress, S.resolved}),
    S.waiting_change: frozenset({S.in_progress, S.resolved}),
    S.resolved: frozenset({S.closed, S.in_progress}),  # in progress again = reopened
    S.closed: frozenset({S.in_progress}),  # reopened, within the tenant's window
    S.rejected: frozenset(),
}
REOPENED_FROM = frozenset({S.resolved, S.closed})


def allowed(current: Status, wanted: Status) -> bool:
    """Whether the lifecycle lets a ticket go from `current` to `wanted`."""
    return wanted in TRANSITIONS[current]


_MATRIX: dict[tuple[Level, Level], Priority] = {
    (Level.high, Level.high): Priority.urgent,
    (Level.high, Level.medium): Priority.high,
    (Level.medium, Level.high): Priority.high,
    (Level.high, Level.low): Priority.medium,
    (Level.medium, Level.medium): Priority.medium,
    (Level.low, Level.high): Priority.medium,
    (Level.medium, Level.low): Priority.low,
    (Level.low, Level.medium): Priority.low,
    (Level.low, Level.low): Priority.low,
}
DEFAULT_MATRIX = {f"{i.value}/{u.value}": p.value for (i, u), p in _MATRIX.items()}


def priority_for(impact: Level, urgency: Level, overrides: dict[str, str]) -> Priority:
    """Impact x urgency through the tenant's matrix; unset pairs use the default."""
    key = f"{impact.value}/{urgency.value}"
    return Priority(overrides.get(key, DEFAULT_MATRIX[key]))
