"""API shapes of tickets and of the actions on them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from cmdb.public import AffectedCi, CiPublic, ImpactDirection
from core.api.pagination import Page
from core.api.schemas import ApiModel
from tickets.models import (
    EventKind,
    IncidentClass,
    Level,
    Line,
    Priority,
    PrivacyMode,
    Status,
    TicketType,
)
from tickets.problems.models import ProblemStatus

Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class TicketCreate(ApiModel):
    """A new ticket. Incidents must also carry everything the SLA asks of an incident report."""

    type: TicketType
    title: Title
    description: Text
    impact: Level | None = Field(None, description="Impact on the client's business")
    urgency: Level = Level.medium
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    occurred_at: datetime | None = Field(None, description="When it occurred (incidents)")
    preceding_actions: Short | None = Field(None, description="What was done just before")
    reproducible: bool | None = Field(None, description="Whether repeating it reproduces it")
    investigation: Short | None = Field(None, description="What the reporter did to find the cause")
    cause_outside_service: bool | None = Field(
        None, description="Whether the cause may lie in the client's or a third party's systems"
    )
    incident_class: IncidentClass | None = Field(
        None,
        description="Incidents: platform or application, whose restore target and KPI count "
        "it (default platform, the stricter target; agents change it with a class change)",
    )


class TicketUpdate(ApiModel):
    """Merge patch of the descriptive fields; status, priority and assignment have their own."""

    title: Title | None = None
    description: Text | None = None
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    occurred_at: datetime | None = None
    preceding_actions: Short | None = None
    reproducible: bool | None = None
    investigation: Short | None = None
    cause_outside_service: bool | None = None
    backlog_story: Ref | None = Field(None, description="The backlog story of a software fix")


class PrivacyFinding(ApiModel):
    field: str
    kind: str
    start: int
    end: int


class TicketPublic(ApiModel):
    id: uuid.UUID
    number: str
    type: TicketType
    title: str
    description: str
    status: Status
    impact: Level
    urgency: Level
    priority: Priority
    incident_class: IncidentClass | None = Field(description="Incidents only; null for others")
    reporter_id: uuid.UUID
    reporter_name: str
    group_id: uuid.UUID | None
    line: Line | None
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    service_id: uuid.UUID | None
    ci_id: uuid.UUID | None
    occurred_at: datetime | None
    preceding_actions: str | None
    reproducible: bool | None
    investigation: str | None
    cause_outside_service: bool | None
    third_party: str | None
    external_reference: str | None
    backlog_story: str | None
    problem_id: uuid.UUID | None
    converted_to_id: uuid.UUID | None
    converted_from_id: uuid.UUID | None
    privacy_findings: list[PrivacyFinding]
    resolution: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def stored(cls, ticket: Any) -> TicketPublic:
        """A stored ticket (entity or row) as answered: its values were checked when written,
        so it is built without the input validators (`from_stored`)."""
        values = {name: getattr(ticket, name) for name in _PUBLIC_FIELDS}
        found = values["privacy_findings"] or []
        values["privacy_findings"] = [PrivacyFinding.from_stored(dict(f)) for f in found]
        return cls.from_stored(values)


_PUBLIC_FIELDS = tuple(TicketPublic.model_fields)


class TicketSummary(ApiModel):
    """A ticket in a list: what a queue shows, without the long texts (GET it for those)."""

    id: uuid.UUID
    number: str
    type: TicketType
    title: str
    status: Status
    impact: Level
    urgency: Level
    priority: Priority
    reporter_id: uuid.UUID
    reporter_name: str
    group_id: uuid.UUID | None
    line: Line | None
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    service_id: uuid.UUID | None
    ci_id: uuid.UUID | None
    problem_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None


# The API's list reads these columns as plain rows; the queue loads entities of them, plus
# the tenant (the row's key).
SUMMARY_FIELDS = tuple(TicketSummary.model_fields)
SUMMARY_COLUMNS = ("tenant_id", *SUMMARY_FIELDS)


class TicketPage(Page[TicketSummary]):
    """One page of tickets; pass nextCursor back as `cursor` for the next."""


class QueueEntry(ApiModel):
    tenant: str = Field(description="Slug of the ticket's tenant")
    ticket: TicketSummary


class QueuePage(ApiModel):
    items: list[QueueEntry]


class TransitionCreate(ApiModel):
    status: Status
    reason: Reason | None = Field(None, description="Required for waiting, rejection, reopening")
    resolution: Short | None = Field(None, description="Required when resolving")


class AssignmentCreate(ApiModel):
    group_id: uuid.UUID
    assignee_id: uuid.UUID | None = Field(None, description="A member of the group")
    reason: Reason | None = None


class EscalationKind(enum.StrEnum):
    functional = "functional"  # to the next line
    hierarchical = "hierarchical"  # to the group's manager


class EscalationCreate(ApiModel):
    kind: EscalationKind
    reason: Reason
    group_id: uuid.UUID | None = Field(
        None, description="Functional: the next line's group (default: the first active one)"
    )


class PriorityChange(ApiModel):
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = Field(None, description="Overrides the matrix")
    reason: Reason


class ClassChange(ApiModel):
    incident_class: IncidentClass
    reason: Reason


class Rejection(ApiModel):
    reason: Reason
    convert_to_service_request: bool = Field(
        False, description="Also file the same request as a service request, in one step"
    )


class Forwarding(ApiModel):
    """To a supplier of the sourcing register (`supplierId`), or to a third party by name."""

    third_party: Ref | None = Field(None, description="Defaults to the supplier's name")
    supplier_id: uuid.UUID | None = Field(None, description="A supplier of the register")
    external_reference: Ref
    reason: Reason | None = None


class EventPublic(ApiModel):
    id: uuid.UUID
    at: datetime
    actor: str
    actor_name: str
    kind: EventKind
    from_value: str | None
    to_value: str | None
    reason: str | None
    data: dict[str, Any]


class EventList(ApiModel):
    items: list[EventPublic]


GroupName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class GroupCreate(ApiModel):
    name: GroupName
    line: Line
    manager_id: uuid.UUID | None = None
    manager_name: Ref | None = None


class GroupUpdate(ApiModel):
    """Merge patch: the name, the manager hierarchical escalations go to, and whether the
    group takes new tickets; the line stays (move tickets by escalation instead)."""

    name: GroupName | None = None
    manager_id: uuid.UUID | None = None
    manager_name: Ref | None = None
    active: bool | None = None


class GroupPublic(ApiModel):
    id: uuid.UUID
    name: str
    line: Line
    manager_id: uuid.UUID | None
    manager_name: str | None
    active: bool
    version: int
    created_at: datetime


class GroupList(ApiModel):
    items: list[GroupPublic]


class MemberCreate(ApiModel):
    member_id: uuid.UUID
    member_name: Ref


class MemberPublic(ApiModel):
    member_id: uuid.UUID
    member_name: str


class MemberList(ApiModel):
    items: list[MemberPublic]


class SettingsPublic(ApiModel):
    prefix: str
    reopen_days: int
    privacy_mode: PrivacyMode
    priority_matrix: dict[str, Priority]


class SettingsUpdate(ApiModel):
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")] | None = None
    reopen_days: Annotated[int, Field(ge=0, le=365)] | None = None
    privacy_mode: PrivacyMode | None = None
    priority_matrix: (
        dict[
            Annotated[str, StringConstraints(pattern=r"^(low|medium|high)/(low|medium|high)$")],
            Priority,
        ]
        | None
    ) = None


class AffectedService(ApiModel):
    id: uuid.UUID
    code: str
    name: str
    ci_id: uuid.UUID = Field(description="The affected CI the service stands for")


class AffectedIncident(ApiModel):
    id: uuid.UUID
    number: str
    title: str
    status: Status
    priority: Priority
    ci_id: uuid.UUID


class AffectedProblem(ApiModel):
    id: uuid.UUID
    number: str
    title: str
    status: ProblemStatus
    priority: Priority
    ci_id: uuid.UUID


class AffectedChange(ApiModel):
    id: uuid.UUID
    number: str
    title: str
    status: str = Field(description="approved, scheduled or implementing")
    planned_start: datetime | None
    planned_end: datetime | None
    ci_id: uuid.UUID = Field(description="The nearest affected CI the change touches")
    service_id: uuid.UUID | None = Field(
        description="The service standing for that CI when the change names the service, "
        "null when it names the CI"
    )
    path: list[uuid.UUID] = Field(description="From the analysed CI to `ciId`")


class ImpactPublic(ApiModel):
    """What a CI's failure reaches. A list is null when the caller may not read its kind."""

    ci: CiPublic
    direction: ImpactDirection
    depth: int
    cis: list[AffectedCi] = Field(description="Nearest first, each with a shortest path")
    truncated: bool = Field(description="Whether the CI list was cut at its maximum length")
    services: list[AffectedService] | None = Field(
        description="Catalogue services that stand for the CI or an affected one"
    )
    incidents: list[AffectedIncident] | None = Field(
        description="Open incidents on the CI or an affected one"
    )
    problems: list[AffectedProblem] | None = Field(
        description="Open problems on the CI or an affected one"
    )
    changes: list[AffectedChange] | None = Field(
        description="Approved, scheduled and implementing changes naming the CI, an affected "
        "one or a service standing for either; nearest first"
    )
