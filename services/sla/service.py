"""Service level agreements: versions per tenant, and the one in effect on a date.

Rules. A version is never changed: a change of terms is a new version. It takes effect at
00:00 in its time zone on `effective_from`, which must lie after today, so that a new
version can never change the terms of a ticket already opened (clocks use the version in
effect when the ticket was opened). Until a tenant's first version takes effect, DOMAIN.md's
SLA applies (the default agreement). A version not yet in effect can be overtaken by a newer
one for the same or an earlier date: of versions for one date, the highest number wins.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_library
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from services.sla import clock, permissions, repository, terms
from services.sla.errors import AgreementNotFound, VersionTaken
from services.sla.models import Agreement
from services.sla.schemas import AgreementCreate, Window

HOUR = 3600.0
KIND_HOURS = {
    clock.RESPONSE: "response_hours",
    clock.RESTORE_PLATFORM: "restore_platform_hours",
    clock.RESTORE_APPLICATION: "restore_application_hours",
}


def list_agreements(session: Session, actor: Principal) -> list[Agreement]:
    """The tenant's versions, newest first (empty when the default applies)."""
    actor.require(permissions.READ)
    return repository.agreements(session)


def get_agreement(session: Session, actor: Principal, *, agreement_id: uuid.UUID) -> Agreement:
    """The version, or AgreementNotFound (also for another tenant's id)."""
    actor.require(permissions.READ)
    found = repository.agreement(session, agreement_id)
    if found is None:
        raise AgreementNotFound(f"No agreement with id {agreement_id}.")
    return found


def current_agreement(session: Session, actor: Principal, *, at: datetime | None) -> Agreement:
    """The version in effect at `at` (default: now), or the default agreement."""
    actor.require(permissions.READ)
    return in_effect(session, at or utcnow())


def in_effect(session: Session, moment: datetime) -> Agreement:
    """The version in effect at `moment` (its local date), or the default agreement."""
    return repository.in_effect(session, _local_day(moment)) or terms.default_agreement()


def in_effect_among(
    versions: Sequence[Agreement], moment: datetime, default: Agreement
) -> Agreement:
    """`in_effect` over every version read once (`repository.agreements`), for many tickets
    at once: the latest date not after the local date, then the highest number."""
    day = _local_day(moment)
    due = [version for version in versions if version.effective_from <= day]
    return max(due, key=lambda v: (v.effective_from, v.number)) if due else default


def _local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(terms.DEFAULT_TIMEZONE)).date()


def today() -> date:
    """The current date where agreements take effect."""
    return utcnow().astimezone(ZoneInfo(terms.DEFAULT_TIMEZONE)).date()


def create_agreement(
    session: Session, actor: Principal, *, data: AgreementCreate, on: date | None = None
) -> Agreement:
    """Add a version taking effect after `on` (default: today); 400 listing every bad term."""
    actor.require(permissions.MANAGE)
    check_terms(data, on or today())
    agreement = Agreement(number=repository.next_number(session), **_columns(data))
    try:
        with session.begin_nested():
            session.add(agreement)
    except IntegrityError:
        raise VersionTaken("Another version was added meanwhile; read them and retry.") from None
    return agreement


def _columns(data: AgreementCreate) -> dict[str, Any]:
    hours = data.service_hours
    return {
        "effective_from": data.effective_from,
        "timezone": hours.timezone,
        "schedule": {day: _windows(getattr(hours, day)) for day in terms.DAYS},
        "country": data.holidays.country,
        "extra_closed_days": sorted({d.isoformat() for d in data.holidays.extra_closed_days}),
        "yearly_closed_days": sorted(set(data.holidays.yearly_closed_days)),
        "open_holidays": sorted(set(data.holidays.open_holidays)),
        "targets": {
            p: {k: getattr(getattr(data.targets, p), a) * HOUR for k, a in KIND_HOURS.items()}
            for p in clock.PRIORITIES
        },
        "response_norm": data.norms.response,
        "restore_platform_norm": data.norms.restore_platform,
        "restore_application_norm": data.norms.restore_application,
        "availability_norm": data.availability_norm,
        "paused_statuses": sorted({s.value for s in data.paused_statuses}),
        "counted_types": sorted({t.value for t in data.counted_types}),
    }


def _windows(windows: list[Window]) -> list[list[str]]:
    return [[w.start, w.end] for w in sorted(windows, key=lambda w: w.start)]


def check_terms(data: AgreementCreate, on: date) -> None:
    """400 naming every term the clocks could not work with."""
    problems = []
    if data.effective_from <= on:
        problems.append(_problem("effectiveFrom", f"must lie after today ({on.isoformat()})"))
    problems += _check_hours(data)
    stopping = {s.value for s in data.paused_statuses} & terms.STOPPED
    if stopping:
        why = f"{', '.join(sorted(stopping))} stop the clocks; they cannot pause them"
        problems.append(_problem("pausedStatuses", why))
    if data.holidays.country and data.holidays.country not in _countries():
        problems.append(_problem("holidays/country", "no public holidays known for it"))
    for text in data.holidays.yearly_closed_days:
        try:
            date(2024, *terms.month_day(text))
        except ValueError:
            problems.append(_problem("holidays/yearlyClosedDays", f"{text} is no date"))
    if problems:
        raise InvalidInput(
            "The agreement has invalid terms: " + ", ".join(p["name"] for p in problems) + ".",
            invalidParams=problems,
        )


def _check_hours(data: AgreementCreate) -> list[dict[str, str]]:
    hours, problems = data.service_hours, []
    try:
        ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(_problem("serviceHours/timezone", "no such time zone"))
    for day in terms.DAYS:
        try:
            terms.week({day: _windows(getattr(hours, day))})
        except ValueError as exc:
            problems.append(_problem(f"serviceHours/{day}", str(exc)))
    if not any(getattr(hours, day) for day in terms.DAYS):
        problems.append(_problem("serviceHours", "the schedule has no opening window"))
    return problems


def _countries() -> frozenset[str]:
    return frozenset(holiday_library.list_supported_countries())


def _problem(name: str, reason: str) -> dict[str, str]:
    return {"name": name.split("/")[-1], "pointer": f"/{name}", "reason": reason}
