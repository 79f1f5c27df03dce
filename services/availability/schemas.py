"""API shapes of outages and of a month's availability."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel
from services.availability.models import Cause, Outage, Scope

Description = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
MONTH_PATTERN = r"^[12]\d{3}-(0[1-9]|1[0-2])$"
START = "When it began, with a time zone; not in the future"
END = "When it ended, with a time zone, after the start and not in the future; null: ongoing"
SERVICE = "The catalogue service that was down (scope service only)"
ATTRIBUTABLE = "Whether the supplier answers for it; if not, its downtime does not count"
PLANNED = "Announced maintenance; its downtime does not count"


class OutageCreate(ApiModel):
    start: datetime = Field(description=START)
    end: datetime | None = Field(None, description=END)
    scope: Scope
    service_id: uuid.UUID | None = Field(None, description=SERVICE)
    description: Description
    attributable: bool = Field(True, description=ATTRIBUTABLE)
    cause: Cause = Cause.unknown
    planned: bool = Field(False, description=PLANNED)


class OutageUpdate(ApiModel):
    """Merge patch: only the given fields change; `end` null makes the outage ongoing again."""

    start: datetime | None = Field(None, description=START)
    end: datetime | None = Field(None, description=END)
    scope: Scope | None = None
    service_id: uuid.UUID | None = Field(None, description=SERVICE)
    description: Description | None = None
    attributable: bool | None = Field(None, description=ATTRIBUTABLE)
    cause: Cause | None = None
    planned: bool | None = Field(None, description=PLANNED)


class OutageOverrides(OutageUpdate):
    """What to record differently from the incident: start (default: when it occurred), end
    (default: when it was resolved, else ongoing), scope (default: its service, else the
    application), description (default: the incident's number) and the rest."""


class OutagePublic(ApiModel):
    id: uuid.UUID
    number: int
    start: datetime
    end: datetime | None
    ongoing: bool
    scope: Scope
    service_id: uuid.UUID | None
    description: str
    attributable: bool
    cause: Cause
    planned: bool
    incident_id: uuid.UUID | None = Field(description="The monitoring incident it came from")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


def outage_public(outage: Outage) -> OutagePublic:
    """An outage as the API answers it, with whether it is still going on."""
    return OutagePublic(
        id=outage.id,
        number=outage.number,
        start=outage.start_at,
        end=outage.end_at,
        ongoing=outage.end_at is None,
        scope=outage.scope,
        service_id=outage.service_id,
        description=outage.description,
        attributable=outage.attributable,
        cause=outage.cause,
        planned=outage.planned,
        incident_id=outage.incident_id,
        created_by=outage.created_by,
        created_at=outage.created_at,
        updated_at=outage.updated_at,
        version=outage.version,
    )


class OutagePage(Page[OutagePublic]):
    """One page of outages; pass nextCursor back as `cursor` for the next."""


class OutageEvidence(ApiModel):
    """An outage of the month as the figure's evidence."""

    id: uuid.UUID
    number: int
    start: datetime
    end: datetime | None
    scope: Scope
    service_id: uuid.UUID | None
    cause: Cause
    attributable: bool
    planned: bool
    description: str


class CountedOutage(OutageEvidence):
    counted_seconds: float = Field(
        description="Its own downtime within service hours in the month; overlaps with other "
        "outages are in each, but count once in downtimeSeconds"
    )


class ExcludedOutage(OutageEvidence):
    reason: str = Field(
        description="planned maintenance | not attributable: <cause> | excluded by agreement "
        "| outside service hours"
    )


class Availability(ApiModel):
    """A month's availability within service hours, with the outages behind it."""

    month: str = Field(description="YYYY-MM, a Europe/Amsterdam calendar month")
    scope: str | None = Field(description="platform, application, a service id, or null: all")
    period_start: datetime
    period_end: datetime
    agreement_id: uuid.UUID | None = Field(
        description="The agreement in effect at the month's end (its last moment), as "
        "in /kpis; null: the default one"
    )
    service_seconds: float
    downtime_seconds: float
    availability_percent: float = Field(description="Rounded to 3 decimals; 100 without hours")
    norm: float
    meets_norm: bool
    counted: list[CountedOutage]
    excluded: list[ExcludedOutage]
