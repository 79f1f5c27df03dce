"""Tickets, their history, assignment groups and each tenant's ticket settings.

Status, priority and assignment are columns for fast lists, and every change of them is also a
row in `tickets_event`: the history the SLA clocks are computed from.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

import tickets.search  # noqa: F401  (SQLite search triggers call its function: register it first)
from core.factories import empty_dict, empty_list
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class TicketType(enum.StrEnum):
    incident = "incident"
    service_request = "service-request"
    question = "question"
    change_request = "change-request"
    onboarding = "onboarding"  # a colleague joins: access to grant
    offboarding = "offboarding"  # a colleague leaves: access to revoke


class Status(enum.StrEnum):
    new = "new"
    assigned = "assigned"
    in_progress = "in-progress"
    needs_information = "needs-information"  # back with the reporter: intake incomplete
    waiting_reporter = "waiting-reporter"
    waiting_third_party = "waiting-third-party"
    waiting_change = "waiting-change"
    resolved = "resolved"
    closed = "closed"
    rejected = "rejected"  # not attributable to the supplier


class Level(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Priority(enum.StrEnum):
    urgent = "urgent"
    high = "high"
    medium = "medium"
    low = "low"


class IncidentClass(enum.StrEnum):
    """Which restore target an incident runs against (DOMAIN.md: platform or application)."""

    platform = "platform"  # the default: the stricter target until an agent says otherwise
    application = "application"


class Line(enum.StrEnum):
    first = "1"
    second = "2"
    third = "3"
    third_party = "third-party"


class PrivacyMode(enum.StrEnum):
    warn = "warn"
    block = "block"


class EventKind(enum.StrEnum):
    created = "created"
    status = "status"
    priority = "priority"
    assignment = "assignment"
    escalation = "escalation"
    forwarded = "forwarded"
    converted = "converted"
    linked = "linked"
    redacted = "redacted"
    responded = "responded"  # the first public answer by the supplier (response clock)
    replied = "replied"  # a public message on the conversation
    workaround = "workaround"  # a linked problem published a workaround
    alert = "alert"  # a monitoring alert folded into this incident
    classified = "classified"  # an agent changed the incident's class (its restore clock)


_version = Column("version", Integer, nullable=False, default=1)


class TicketSettings(TenantScoped, table=True):
    """Per tenant: the number prefix and counter, reopen window, privacy mode, priority matrix."""

    __tablename__ = "tickets_settings"
    __audited__ = True

    prefix: str = Field(default="REG", max_length=8)
    next_number: int = Field(default=1)
    reopen_days: int = Field(default=10, ge=0, le=365)
    privacy_mode: PrivacyMode = Field(default=PrivacyMode.warn, sa_type=enum_type(PrivacyMode))
    # {"<impact>/<urgency>": "<priority>"}; missing pairs fall back to the default matrix.
    priority_matrix: dict[str, str] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    # Bumped by settings changes only (not by the counter), for If-Match.
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AssignmentGroup(TenantScoped, table=True):
    __tablename__ = "tickets_group"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_tickets_group_name"),)
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=100)
    line: Line = Field(sa_type=enum_type(Line))
    # The manager hierarchical escalations go to (a person's object id and display name).
    manager_id: uuid.UUID | None = None
    manager_name: str | None = Field(default=None, max_length=200)
    active: bool = True
    # Bumped by every change of the group (not of its members), for If-Match.
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GroupMember(TenantScoped, table=True):
    __tablename__ = "tickets_group_member"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "group_id"], ["tickets_group.tenant_id", "tickets_group.id"]
        ),
    )
    __audited__ = True

    group_id: uuid.UUID = Field(primary_key=True)
    member_id: uuid.UUID = Field(primary_key=True)
    member_name: str = Field(max_length=200)


_OPEN_SQL = (
    "status IN ('new', 'assigned', 'in-progress', 'waiting-reporter', "
    "'waiting-third-party', 'waiting-change', 'needs-information')"
)
# The open tickets whose clocks run (lifecycle.OPEN - lifecycle.PAUSED): the work queue.
_WORKING_SQL = "status IN ('new', 'assigned', 'in-progress')"


class Ticket(TenantScoped, table=True):
    __tablename__ = "tickets_ticket"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_tickets_ticket_number"),
        # Each list's sort order, led by the tenant so a page never scans another tenant.
        Index("ix_tickets_ticket_created", "tenant_id", "created_at", "id"),
        Index("ix_tickets_ticket_status", "tenant_id", "status", "created_at", "id"),
        Index("ix_tickets_ticket_group", "tenant_id", "group_id", "created_at", "id"),
        Index("ix_tickets_ticket_assignee", "tenant_id", "assignee_id", "created_at", "id"),
        Index("ix_tickets_ticket_reporter", "tenant_id", "reporter_id", "created_at", "id"),
        Index("ix_tickets_ticket_problem", "tenant_id", "problem_id", "created_at", "id"),
        Index("ix_tickets_ticket_ci", "tenant_id", "ci_id", "created_at", "id"),
        # The open tickets only (lifecycle.OPEN): the work queue and the dashboard per line.
        Index(
            "ix_tickets_ticket_open",
            "tenant_id",
            "line",
            "priority",
            "created_at",
            "id",
            postgresql_where=text(_OPEN_SQL),
            sqlite_where=text(_OPEN_SQL),
        ),
        # The work queue's order within one priority, and its filters, without the heap.
        Index(
            "ix_tickets_ticket_queue",
            "tenant_id",
            "priority",
            "created_at",
            "id",
            postgresql_include=["line", "type", "group_id", "assignee_id"],
            postgresql_where=text(_WORKING_SQL),
            sqlite_where=text(_WORKING_SQL),
        ),
    )
    __mapper_args__ = {"version_id_col": _version}
    __audited__ = True
    # Free text may hold personal data that gets redacted; the immutable log keeps digests.
    __audit_digested__ = ("title", "description", "preceding_actions", "investigation")

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=20)
    type: TicketType = Field(sa_type=enum_type(TicketType))
    title: str = Field(max_length=200)
    description: str = Field(max_length=20000)
    status: Status = Field(default=Status.new, sa_type=enum_type(Status, 24))
    impact: Level = Field(sa_type=enum_type(Level))
    urgency: Level = Field(sa_type=enum_type(Level))
    priority: Priority = Field(sa_type=enum_type(Priority))
    # Incidents only: whose restore clock runs and which KPI counts them; None for others.
    incident_class: IncidentClass | None = Field(default=None, sa_type=enum_type(IncidentClass, 12))
    reporter_id: uuid.UUID
    reporter_name: str = Field(max_length=200)
    group_id: uuid.UUID | None = None
    line: Line | None = Field(default=None, sa_type=enum_type(Line))
    assignee_id: uuid.UUID | None = None
    assignee_name: str | None = Field(default=None, max_length=200)
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    # What the SLA demands of an incident report (None for other types).
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    preceding_actions: str | None = Field(default=None, max_length=4000)
    reproducible: bool | None = None
    investigation: str | None = Field(default=None, max_length=4000)
    cause_outside_service: bool | None = None
    # Set when forwarded to a third party, rejected, converted or linked.
    third_party: str | None = Field(default=None, max_length=200)
    external_reference: str | None = Field(default=None, max_length=200)
    backlog_story: str | None = Field(default=None, max_length=200)
    problem_id: uuid.UUID | None = None
    converted_to_id: uuid.UUID | None = None
    converted_from_id: uuid.UUID | None = None
    # Where the personal-data guard found something: [{"field", "kind", "start", "end"}].
    privacy_findings: list[dict[str, Any]] = Field(
        default_factory=empty_list, sa_column=Column(JSON)
    )
    resolution: str | None = Field(default=None, max_length=4000)
    version: int = Field(default=1, sa_column=_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TicketEvent(TenantScoped, table=True):
    """One change in a ticket's life: who, when, what from and to, and why. Never updated."""

    __tablename__ = "tickets_event"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets_ticket.tenant_id", "tickets_ticket.id"]
        ),
        Index("ix_tickets_event_ticket", "tenant_id", "ticket_id", "at", "id"),
    )
    __audited__ = True
    __audit_digested__ = ("reason",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    ticket_id: uuid.UUID
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=80)
    actor_name: str = Field(max_length=200)
    kind: EventKind = Field(sa_type=enum_type(EventKind))
    from_value: str | None = Field(default=None, max_length=200)
    to_value: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON))
