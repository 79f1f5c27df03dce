"""API shapes of the DAP. Every rule of one field or one entry is checked here, so a bad
request is answered with all of its faults at once."""

from __future__ import annotations

import enum
import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from core.api.schemas import ApiModel
from services.dap import windows
from services.dap.models import DapVersion

_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")


def _phone(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.match(value) or not 8 <= digits <= 15:
        raise ValueError("a phone number of 8 to 15 digits, e.g. +31 20 123 4567")
    return value


Email = Annotated[EmailStr, Field(max_length=320)]
Phone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_phone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ReportName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60),
    Field(description="kebab-case report name, e.g. monthly-sla"),
]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
End = Annotated[str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
LONGEST_ONE_OFF_DAYS = 14


class Weekday(enum.StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"


class Side(enum.StrEnum):
    client = "client"
    supplier = "supplier"


class ChannelKind(enum.StrEnum):
    email = "e-mail"
    phone = "phone"
    portal = "portal"
    teams = "teams"
    other = "other"


class ReportRecipient(ApiModel):
    name: Name
    email: Email
    role: Label | None = None
    organisation: Label | None = None
    reports: list[ReportName] = Field(min_length=1, max_length=20)


class EscalationContact(ApiModel):
    level: int = Field(ge=1, le=10, description="Order of escalation: 1 is called first")
    name: Name
    role: Label | None = None
    email: Email
    phone: Phone | None = None
    side: Side


class WeeklyWindow(ApiModel):
    """A window every week, in Europe/Amsterdam wall-clock time."""

    day: Weekday
    start: HHMM = Field(description="Local time, HH:MM")
    end: End = Field(description="Local time, HH:MM after start; 24:00 is the end of the day")
    description: Description

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must lie after start")
        return value


class OneOffWindow(ApiModel):
    start: AwareDatetime = Field(description="With a zone, e.g. 2027-03-06T08:00:00+01:00")
    end: AwareDatetime = Field(description=f"After start; shorter than {LONGEST_ONE_OFF_DAYS} days")
    description: Description

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must lie after start")
        if start is not None and (value - start).days >= LONGEST_ONE_OFF_DAYS:
            raise ValueError(f"a window lasts less than {LONGEST_ONE_OFF_DAYS} days")
        return value


class MaintenanceWindows(ApiModel):
    weekly: list[WeeklyWindow] = Field(default_factory=list, max_length=21)
    one_off: list[OneOffWindow] = Field(default_factory=list, max_length=100)


class Channel(ApiModel):
    kind: ChannelKind
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    purpose: Label
    hours: Label | None = Field(None, description="When it is staffed, e.g. weekdays 08:30-17:00")

    @field_validator("address")
    @classmethod
    def _fits_kind(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind == ChannelKind.email:
            try:
                return validate_email(value, check_deliverability=False).normalized
            except EmailNotValidError as exc:
                raise ValueError(str(exc)) from None
        if kind == ChannelKind.phone:
            return _phone(value)
        if kind == ChannelKind.portal:
            parts = urlsplit(value)
            if parts.scheme != "https" or not parts.netloc:
                raise ValueError("a portal is an https:// address")
        return value


class DapContent(ApiModel):
    report_recipients: list[ReportRecipient] = Field(default_factory=list, max_length=50)
    escalation_contacts: list[EscalationContact] = Field(default_factory=list, max_length=30)
    maintenance_windows: MaintenanceWindows = Field(default_factory=MaintenanceWindows)
    channels: list[Channel] = Field(default_factory=list, max_length=20)
    notes: Annotated[str, StringConstraints(max_length=20000)] = ""


class DapCreate(DapContent):
    """A new version of the whole DAP: what it omits, it no longer holds."""

    effective_from: date = Field(description="From 00:00 Europe/Amsterdam; today or later")

    @field_validator("effective_from")
    @classmethod
    def _not_past(cls, value: date) -> date:
        if value < windows.today():
            raise ValueError(f"must not lie before today ({windows.today().isoformat()})")
        return value


class DapPublic(DapContent):
    id: uuid.UUID
    version: int = Field(description="1, 2, ... per tenant")
    effective_from: date
    created_at: datetime


class DapList(ApiModel):
    """The tenant's versions, newest first."""

    items: list[DapPublic]


def columns(data: DapCreate) -> dict[str, Any]:
    """The stored form of a new version: JSON lists, one-off windows in UTC."""
    plain = data.model_dump(mode="json")
    one_off = [
        {"start": _utc(w.start), "end": _utc(w.end), "description": w.description}
        for w in data.maintenance_windows.one_off
    ]
    return {
        "effective_from": data.effective_from,
        "report_recipients": plain["report_recipients"],
        "escalation_contacts": sorted(plain["escalation_contacts"], key=lambda c: c["level"]),
        "weekly_windows": plain["maintenance_windows"]["weekly"],
        "one_off_windows": sorted(one_off, key=lambda w: w["start"]),
        "channels": plain["channels"],
        "notes": data.notes,
    }


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def dap_public(version: DapVersion) -> DapPublic:
    """A stored version in its API shape."""
    return DapPublic(
        id=version.id,
        version=version.number,
        effective_from=version.effective_from,
        created_at=version.created_at,
        report_recipients=[ReportRecipient.model_validate(r) for r in version.report_recipients],
        escalation_contacts=[
            EscalationContact.model_validate(c) for c in version.escalation_contacts
        ],
        maintenance_windows=MaintenanceWindows(
            weekly=[WeeklyWindow.model_validate(w) for w in version.weekly_windows],
            one_off=[OneOffWindow.model_validate(w) for w in version.one_off_windows],
        ),
        channels=[Channel.model_validate(c) for c in version.channels],
        notes=version.notes,
    )
