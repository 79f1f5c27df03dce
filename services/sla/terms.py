"""An agreement version as the calendar and policy the clock module computes with.

The tickets domain's statuses and types are kebab-case (`waiting-reporter`); the agreement
names them the same way, so the statuses that pause a clock are exactly the ticket statuses
that wait. services may not import tickets: tests/tickets checks these lists against it.
"""

from __future__ import annotations

import enum
import functools
from datetime import date, time

from services.sla.calendar import ServiceCalendar, Window, weekly
from services.sla.clock import DEFAULT_POLICY, KINDS, PRIORITIES, Policy
from services.sla.models import Agreement

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class StatusName(enum.StrEnum):
    """The ticket statuses an agreement may name."""

    new = "new"
    assigned = "assigned"
    in_progress = "in-progress"
    needs_information = "needs-information"
    waiting_reporter = "waiting-reporter"
    waiting_third_party = "waiting-third-party"
    waiting_change = "waiting-change"
    resolved = "resolved"
    closed = "closed"
    rejected = "rejected"


class TypeName(enum.StrEnum):
    """The ticket types an agreement may count."""

    incident = "incident"
    service_request = "service-request"
    question = "question"
    change_request = "change-request"
    onboarding = "onboarding"
    offboarding = "offboarding"


S = StatusName
DEFAULT_PAUSED = (S.needs_information, S.waiting_change, S.waiting_reporter, S.waiting_third_party)
# A finished ticket stops every clock; this is the ticket life cycle, not a term to negotiate.
STOPPED = frozenset({S.resolved.value, S.closed.value, S.rejected.value})
DEFAULT_COUNTED = (TypeName.incident,)
DEFAULT_TIMEZONE = "Europe/Amsterdam"
OFFICE_WEEK = {day: [["08:30", "17:00"]] for day in DAYS[:5]} | {"saturday": [], "sunday": []}


def default_agreement() -> Agreement:
    """DOMAIN.md's SLA as an unsaved agreement (no id, no number): it applies when a tenant
    has no version in effect."""
    return Agreement(
        id=None,  # type: ignore[arg-type]  # no stored row: "no id" marks the default
        number=0,
        effective_from=date.min,
        timezone=DEFAULT_TIMEZONE,
        schedule=OFFICE_WEEK,
        country="NL",
        extra_closed_days=[],
        yearly_closed_days=["05-05"],
        open_holidays=["Good Friday"],
        targets={p: dict(DEFAULT_POLICY.targets[p]) for p in PRIORITIES},
        paused_statuses=[s.value for s in DEFAULT_PAUSED],
        counted_types=[t.value for t in DEFAULT_COUNTED],
    )


def is_default(agreement: Agreement) -> bool:
    """Whether these are the built-in terms, not a stored agreement version."""
    return agreement.id is None


def parse_time(text: str) -> time:
    """ "HH:MM" as a time; "24:00" is midnight ending the day (the calendar's 00:00 end)."""
    return time(0) if text == "24:00" else time.fromisoformat(text)


def week(schedule: dict[str, list[list[str]]]) -> tuple[tuple[Window, ...], ...]:
    """The stored schedule as the calendar's week; ValueError on a bad window."""
    windows = {
        index: [(parse_time(start), parse_time(end)) for start, end in schedule.get(day, [])]
        for index, day in enumerate(DAYS)
    }
    return weekly(windows)


def calendar(agreement: Agreement) -> ServiceCalendar:
    """The agreement's service hours and closed days."""
    return _calendar(
        agreement.timezone,
        agreement.country,
        _frozen_schedule(agreement.schedule),
        frozenset(agreement.extra_closed_days),
        frozenset(agreement.yearly_closed_days),
        frozenset(agreement.open_holidays),
    )


def _frozen_schedule(schedule: dict[str, list[list[str]]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(f"{a}-{b}" for a, b in schedule.get(day, [])) for day in DAYS)


@functools.lru_cache(maxsize=256)
def _calendar(
    zone: str,
    country: str | None,
    schedule: tuple[tuple[str, ...], ...],
    extra: frozenset[str],
    yearly: frozenset[str],
    open_holidays: frozenset[str],
) -> ServiceCalendar:
    # Cached, so a recompute of many tickets shares one calendar and its day cache.
    stored = {
        day: [window.split("-") for window in windows]
        for day, windows in zip(DAYS, schedule, strict=True)
    }
    return ServiceCalendar(
        schedule=week(stored),
        timezone=zone,
        country=country,
        extra_closed_days=frozenset(date.fromisoformat(d) for d in extra),
        yearly_closed_days=frozenset(month_day(d) for d in yearly),
        open_holidays=open_holidays,
    )


def month_day(text: str) -> tuple[int, int]:
    """A yearly date written MM-DD as (month, day)."""
    month, day = text.split("-")
    return int(month), int(day)


def policy(agreement: Agreement) -> Policy:
    """The agreement's targets and pause statuses; finished tickets stop every clock."""
    return Policy(
        targets={p: {k: agreement.targets[p][k] for k in KINDS} for p in PRIORITIES},
        paused_statuses=frozenset(agreement.paused_statuses),
        stopped_statuses=STOPPED,
    )


def counts(agreement: Agreement, ticket_type: str) -> bool:
    """Whether tickets of this type get clocks under the agreement."""
    return ticket_type in agreement.counted_types
