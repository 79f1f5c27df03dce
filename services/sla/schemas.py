"""API shapes of agreements and of a ticket's clocks. Targets travel in hours."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from core.api.schemas import ApiModel
from services.sla import clock, terms
from services.sla.models import Agreement
from services.sla.terms import StatusName, TypeName

HOUR = 3600.0
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
End = Annotated[str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
MonthDay = Annotated[str, StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]
Percent = Annotated[float, Field(ge=0, le=100)]
Hours = Annotated[float, Field(gt=0, le=10000, description="Business hours")]
HolidayName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ClockKind(enum.StrEnum):
    response = "response"
    restore_platform = "restore-platform"
    restore_application = "restore-application"


KIND_NAMES = {
    clock.RESPONSE: ClockKind.response,
    clock.RESTORE_PLATFORM: ClockKind.restore_platform,
    clock.RESTORE_APPLICATION: ClockKind.restore_application,
}


class Window(ApiModel):
    start: HHMM = Field(description="Local time, HH:MM")
    end: End = Field(description="Local time, HH:MM; 24:00 is the end of the day")


class ServiceHours(ApiModel):
    """Opening windows per weekday in local wall-clock time."""

    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "Europe/Amsterdam"
    monday: list[Window] = Field(default_factory=lambda: [Window(start="08:30", end="17:00")])
    tuesday: list[Window] = Field(default_factory=lambda: [Window(start="08:30", end="17:00")])
    wednesday: list[Window] = Field(default_factory=lambda: [Window(start="08:30", end="17:00")])
    thursday: list[Window] = Field(default_factory=lambda: [Window(start="08:30", end="17:00")])
    friday: list[Window] = Field(default_factory=lambda: [Window(start="08:30", end="17:00")])
    saturday: list[Window] = Field(default_factory=list)
    sunday: list[Window] = Field(default_factory=list)


class Holidays(ApiModel):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        "NL", description="Public holidays of this country close the desk; null for none"
    )
    extra_closed_days: list[date] = Field(default_factory=list, max_length=400)
    yearly_closed_days: list[MonthDay] = Field(
        default_factory=lambda: ["05-05"], max_length=60, description="MM-DD, closed every year"
    )
    open_holidays: list[HolidayName] = Field(
        default_factory=lambda: ["Good Friday"],
        max_length=30,
        description="Public holidays (English names) on which the desk is open",
    )


class PriorityTargets(ApiModel):
    response_hours: Hours
    restore_platform_hours: Hours
    restore_application_hours: Hours


def _default_targets(priority: str) -> PriorityTargets:
    seconds = clock.DEFAULT_POLICY.targets[priority]
    return PriorityTargets(
        response_hours=seconds[clock.RESPONSE] / HOUR,
        restore_platform_hours=seconds[clock.RESTORE_PLATFORM] / HOUR,
        restore_application_hours=seconds[clock.RESTORE_APPLICATION] / HOUR,
    )


class Targets(ApiModel):
    """Per priority, in business hours (a month is 178.5: 21 days of 8.5 hours)."""

    urgent: PriorityTargets = Field(default_factory=lambda: _default_targets("urgent"))
    high: PriorityTargets = Field(default_factory=lambda: _default_targets("high"))
    medium: PriorityTargets = Field(default_factory=lambda: _default_targets("medium"))
    low: PriorityTargets = Field(default_factory=lambda: _default_targets("low"))


class Norms(ApiModel):
    """The share of counted tickets that must be within target, in percent."""

    response: Percent = 95.0
    restore_platform: Percent = 95.0
    restore_application: Percent = 95.0


class AgreementCreate(ApiModel):
    """A new version; omitted parts take DOMAIN.md's SLA."""

    effective_from: date = Field(description="Takes effect at 00:00 local time; after today")
    service_hours: ServiceHours = Field(default_factory=ServiceHours)
    holidays: Holidays = Field(default_factory=Holidays)
    targets: Targets = Field(default_factory=Targets)
    norms: Norms = Field(default_factory=Norms)
    paused_statuses: list[StatusName] = Field(
        default_factory=lambda: list(terms.DEFAULT_PAUSED), max_length=10
    )
    counted_types: list[TypeName] = Field(
        default_factory=lambda: list(terms.DEFAULT_COUNTED), max_length=10
    )
    availability_norm: Percent = 99.4


class AgreementPublic(AgreementCreate):
    id: uuid.UUID | None = Field(description="None for the default agreement")
    version: int | None = Field(description="1, 2, ... per tenant; None for the default")
    is_default: bool
    effective_from: date | None = Field(description="None for the default agreement")  # type: ignore[assignment]
    created_at: datetime | None


class AgreementList(ApiModel):
    """The tenant's versions, newest first."""

    items: list[AgreementPublic]


class AgreementRef(ApiModel):
    id: uuid.UUID | None
    version: int | None
    effective_from: date | None
    is_default: bool


class SegmentPublic(ApiModel):
    start: datetime
    end: datetime
    state: str = Field(description="running, paused or stopped")
    reason: str = Field(description="e.g. service hours, outside service hours, paused: ...")
    business_seconds: float


class ClockPublic(ApiModel):
    kind: ClockKind
    priority: str
    state: str
    elapsed_seconds: float
    target_seconds: float
    remaining_seconds: float
    deadline: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    timeline: list[SegmentPublic]


class SlaExplanation(ApiModel):
    """A ticket's clocks as of `asOf`, each with the segments that make up its figures."""

    ticket_id: uuid.UUID
    counted: bool = Field(description="Whether the agreement counts this ticket's type")
    as_of: datetime
    agreement: AgreementRef
    service_hours: ServiceHours
    holidays: Holidays
    clocks: list[ClockPublic]


def agreement_public(agreement: Agreement) -> AgreementPublic:
    """The stored (or default) agreement in its API shape."""
    return AgreementPublic(
        id=agreement.id,
        version=None if terms.is_default(agreement) else agreement.number,
        is_default=terms.is_default(agreement),
        effective_from=None if terms.is_default(agreement) else agreement.effective_from,
        created_at=None if terms.is_default(agreement) else agreement.created_at,
        service_hours=service_hours(agreement),
        holidays=holidays(agreement),
        targets=Targets(**{p: _targets(agreement, p) for p in clock.PRIORITIES}),
        norms=Norms(
            response=agreement.response_norm,
            restore_platform=agreement.restore_platform_norm,
            restore_application=agreement.restore_application_norm,
        ),
        paused_statuses=[StatusName(s) for s in agreement.paused_statuses],
        counted_types=[TypeName(t) for t in agreement.counted_types],
        availability_norm=agreement.availability_norm,
    )


def agreement_ref(agreement: Agreement) -> AgreementRef:
    """Which agreement a figure was computed under, the default or a numbered version."""
    default = terms.is_default(agreement)
    return AgreementRef(
        id=agreement.id,
        version=None if default else agreement.number,
        effective_from=None if default else agreement.effective_from,
        is_default=default,
    )


def service_hours(agreement: Agreement) -> ServiceHours:
    """An agreement's opening hours as the API answers them."""
    days = {
        day: [Window(start=a, end=b) for a, b in agreement.schedule.get(day, [])]
        for day in terms.DAYS
    }
    return ServiceHours(timezone=agreement.timezone, **days)


def holidays(agreement: Agreement) -> Holidays:
    """An agreement's closed days as the API answers them."""
    return Holidays(
        country=agreement.country,
        extra_closed_days=[date.fromisoformat(d) for d in agreement.extra_closed_days],
        yearly_closed_days=list(agreement.yearly_closed_days),
        open_holidays=list(agreement.open_holidays),
    )


def _targets(agreement: Agreement, priority: str) -> PriorityTargets:
    seconds = agreement.targets[priority]
    return PriorityTargets(
        response_hours=seconds[clock.RESPONSE] / HOUR,
        restore_platform_hours=seconds[clock.RESTORE_PLATFORM] / HOUR,
        restore_application_hours=seconds[clock.RESTORE_APPLICATION] / HOUR,
    )


def clock_public(result: clock.ClockResult) -> ClockPublic:
    """A computed clock as the API answers it."""
    return ClockPublic(
        kind=KIND_NAMES[result.kind],
        priority=result.priority,
        state=result.state,
        elapsed_seconds=result.elapsed_seconds,
        target_seconds=result.target_seconds,
        remaining_seconds=result.remaining_seconds,
        deadline=result.deadline,
        breached_at=result.breached_at,
        stopped_at=result.stopped_at,
        timeline=[
            SegmentPublic(
                start=s.start,
                end=s.end,
                state=s.state,
                reason=s.reason,
                business_seconds=s.business_seconds,
            )
            for s in result.segments
        ],
    )
