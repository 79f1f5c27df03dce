"""API shapes of the change calendar, its conflicts, freeze periods and feed tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, Field

from changes.models import ChangeStatus, ChangeType, RiskClass
from changes.schemas import ConflictPublic, Name
from core.api.schemas import ApiModel


class FreezeCreate(ApiModel):
    name: Name
    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="After startsAt")


class FreezePublic(ApiModel):
    id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime


class FreezeList(ApiModel):
    items: list[FreezePublic]


class CalendarEntry(ApiModel):
    id: uuid.UUID
    number: str
    title: str
    type: ChangeType
    status: ChangeStatus
    risk_class: RiskClass | None
    planned_start: datetime
    planned_end: datetime
    service_ids: list[uuid.UUID]
    ci_ids: list[uuid.UUID]
    causes_downtime: bool
    conflicts: list[ConflictPublic]


class CalendarPublic(ApiModel):
    """The changes planned in the period, each with its conflicts, and the freezes in it."""

    items: list[CalendarEntry]
    freezes: list[FreezePublic]


class OverviewEntry(CalendarEntry):
    tenant: str = Field(description="The client's slug")


class OverviewFreeze(FreezePublic):
    tenant: str = Field(description="The client's slug")


class CalendarOverview(ApiModel):
    """The calendars of every client the caller may read, merged by planned start."""

    items: list[OverviewEntry]
    freezes: list[OverviewFreeze]


class FeedTokenCreate(ApiModel):
    name: Name = Field(description="Whose calendar reads the feed, e.g. CAB Outlook")


class FeedTokenPublic(ApiModel):
    id: uuid.UUID
    name: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class FeedTokenIssued(FeedTokenPublic):
    feed_url: str = Field(description="The feed's address; shown once, keep it secret")


class FeedTokenList(ApiModel):
    items: list[FeedTokenPublic]
