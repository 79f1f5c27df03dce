"""API shapes of problems, known errors and the actions on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel
from tickets.models import Level, Priority, Status
from tickets.problems.models import ProblemEventKind, ProblemStatus
from tickets.schemas import Reason, Short, Text, Title

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class ProblemCreate(ApiModel):
    """A new problem; the owner defaults to whoever records it."""

    title: Title
    description: Text
    priority: Priority = Priority.medium
    root_cause: Text | None = None
    workaround: Text | None = None
    known_error: bool = Field(False, description="Also set once root cause and workaround exist")
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = Field(None, description="The problem manager; with ownerName")
    owner_name: Name | None = None


class ProblemUpdate(ApiModel):
    """Merge patch of the problem's details; status and resolution have their own actions."""

    title: Title | None = None
    description: Text | None = None
    priority: Priority | None = None
    root_cause: Text | None = None
    workaround: Text | None = None
    known_error: bool | None = None
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = Field(None, description="Give ownerName with it")
    owner_name: Name | None = None


class ProblemPublic(ApiModel):
    id: uuid.UUID
    number: str
    title: str
    description: str
    status: ProblemStatus
    priority: Priority
    root_cause: str | None
    workaround: str | None
    known_error: bool
    service_id: uuid.UUID | None
    ci_id: uuid.UUID | None
    owner_id: uuid.UUID
    owner_name: str
    resolution: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    workaround_published_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


class ProblemPage(Page[ProblemPublic]):
    """One page of problems; pass nextCursor back as `cursor` for the next."""


class KnownErrorPublic(ApiModel):
    """What a known error tells the people who meet it: the cause and how to work around it."""

    id: uuid.UUID
    number: str
    title: str
    description: str
    status: ProblemStatus
    root_cause: str | None
    workaround: str | None
    service_id: uuid.UUID | None
    ci_id: uuid.UUID | None
    updated_at: datetime


class KnownErrorPage(Page[KnownErrorPublic]):
    """One page of known errors; pass nextCursor back as `cursor` for the next."""


class ProblemTransition(ApiModel):
    status: ProblemStatus = Field(description="Resolve through the resolutions action")
    reason: Reason | None = Field(None, description="Required to close or to reopen")


class IncidentLink(ApiModel):
    ticket_id: uuid.UUID


class IncidentSummary(ApiModel):
    id: uuid.UUID
    number: str
    title: str
    status: Status
    priority: Priority


class ResolutionCreate(ApiModel):
    resolution: Short
    resolve_incidents: bool = Field(
        False, description="Also resolve every open linked incident with the same resolution"
    )


class ResolutionPublic(ApiModel):
    problem: ProblemPublic
    resolved_incidents: list[IncidentSummary] = Field(description="Resolved by this action")
    open_incidents: list[IncidentSummary] = Field(description="Linked incidents still open")


class WorkaroundPublication(ApiModel):
    workaround: Text | None = Field(None, description="Replaces the recorded workaround first")


class WorkaroundPublished(ApiModel):
    problem: ProblemPublic
    incidents: list[IncidentSummary] = Field(description="Open linked incidents informed")


class ChangeRequestCreate(ApiModel):
    """The change that fixes the problem; title and description default to the problem's."""

    title: Title | None = None
    description: Text | None = None
    impact: Level | None = None
    urgency: Level = Level.medium


class ProblemEventPublic(ApiModel):
    id: uuid.UUID
    at: datetime
    actor: str
    actor_name: str
    kind: ProblemEventKind
    from_value: str | None
    to_value: str | None
    reason: str | None
    data: dict[str, Any]


class ProblemEventList(ApiModel):
    items: list[ProblemEventPublic]
