"""Problems: the cause behind incidents, its workaround and fix, and the known-error record.

Status and priority are columns for fast lists; every change of them is also a row in
`tickets_problem_event`, as with tickets.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, UniqueConstraint
from sqlmodel import Field

from core.factories import empty_dict
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow
from tickets.models import Priority


class ProblemStatus(enum.StrEnum):
    new = "new"
    investigating = "investigating"
    known_error = "known-error"  # root cause and workaround known, fix not yet delivered
    resolved = "resolved"
    closed = "closed"


class ProblemEventKind(enum.StrEnum):
    created = "created"
    status = "status"
    priority = "priority"
    known_error = "known-error"
    workaround = "workaround"  # the workaround was published to linked incidents
    linked = "linked"
    unlinked = "unlinked"
    change_request = "change-request"


class ProblemCounter(TenantScoped, table=True):
    """Per tenant: the next problem number. Created on a tenant's first problem."""

    __tablename__ = "tickets_problem_counter"
    __audited__ = True

    next_number: int = Field(default=1)


_version = Column("version", Integer, nullable=False, default=1)


class Problem(TenantScoped, table=True):
    __tablename__ = "tickets_problem"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_tickets_problem_number"),
        Index("ix_tickets_problem_created", "tenant_id", "created_at", "id"),
        Index("ix_tickets_problem_known", "tenant_id", "known_error", "updated_at", "id"),
    )
    __mapper_args__ = {"version_id_col": _version}
    __audited__ = True
    # Free text may hold personal data; the immutable log keeps digests.
    __audit_digested__ = ("title", "description", "root_cause", "workaround", "resolution")

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=20)
    title: str = Field(max_length=200)
    description: str = Field(max_length=20000)
    status: ProblemStatus = Field(default=ProblemStatus.new, sa_type=enum_type(ProblemStatus))
    priority: Priority = Field(default=Priority.medium, sa_type=enum_type(Priority))
    root_cause: str | None = Field(default=None, max_length=20000)
    workaround: str | None = Field(default=None, max_length=20000)
    known_error: bool = False
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    owner_id: uuid.UUID
    owner_name: str = Field(max_length=200)
    resolution: str | None = Field(default=None, max_length=4000)
    version: int = Field(default=1, sa_column=_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    workaround_published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProblemEvent(TenantScoped, table=True):
    """One change in a problem's life: who, when, what from and to, and why. Never updated."""

    __tablename__ = "tickets_problem_event"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "problem_id"], ["tickets_problem.tenant_id", "tickets_problem.id"]
        ),
        Index("ix_tickets_problem_event_problem", "tenant_id", "problem_id", "at", "id"),
    )
    __audited__ = True
    __audit_digested__ = ("reason",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    problem_id: uuid.UUID
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=80)
    actor_name: str = Field(max_length=200)
    kind: ProblemEventKind = Field(sa_type=enum_type(ProblemEventKind))
    from_value: str | None = Field(default=None, max_length=200)
    to_value: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON))
