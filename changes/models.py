"""Changes: the request, its risk and impact, its rollback plan, the CAB's votes and every step
of its life as a history row. Per tenant: the templates of standard changes, the approval
rules and the risk questionnaire.

Status is a column for fast lists; every change of it is also a row in `changes_event`. The
rollback plan, the risk answers and the impact are kept as the structured documents the API
validated, so a change always shows the answers that produced its risk class.
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
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

from core.factories import empty_dict, empty_list
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class ChangeType(enum.StrEnum):
    standard = "standard"  # from a pre-approved template
    normal = "normal"
    emergency = "emergency"


class RiskClass(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class ChangeStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    assessed = "assessed"
    approved = "approved"
    rejected = "rejected"
    scheduled = "scheduled"
    implementing = "implementing"
    implemented = "implemented"
    rolled_back = "rolled-back"
    failed = "failed"
    closed = "closed"
    cancelled = "cancelled"


class ChangeEventKind(enum.StrEnum):
    created = "created"
    status = "status"
    updated = "updated"
    assessed = "assessed"
    vote = "vote"
    rollback_tested = "rollback-tested"
    rolled_back = "rolled-back"
    overdue = "overdue"  # not implemented within its planned window
    reviewed = "reviewed"
    deployed = "deployed"  # a release bundling it reached production, or left it again
    downtime_announced = "downtime-announced"  # its window was mailed to the DAP's contacts
    downtime_cancelled = "downtime-cancelled"  # an announced window will not happen


class VoteDecision(enum.StrEnum):
    approve = "approve"
    reject = "reject"


class RollbackOutcome(enum.StrEnum):
    restored = "restored"  # the service is back as it was before the change
    partial = "partial"
    failed = "failed"


class ChangeSettings(TenantScoped, table=True):
    """Per tenant: the risk questionnaire, the score thresholds and the number counter."""

    __tablename__ = "changes_settings"
    __audited__ = True

    # [{"key", "text", "answers": [{"key", "text", "weight"}]}]
    questions: list[dict[str, Any]] = Field(default_factory=empty_list, sa_column=Column(JSON))
    medium_from: int = 4
    high_from: int = 8
    # Downtime of an approved change is announced to the DAP's contacts this many days ahead.
    downtime_notice_days: int = 5
    next_number: int = 1  # SQLite only; PostgreSQL takes numbers from a per-tenant sequence
    next_release_number: int = 1  # releases are few: counted here on every database
    version: int = 1  # bumped by settings changes, not by the counter
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChangeTemplate(TenantScoped, table=True):
    """A standard change: assessed and approved once, then run as often as needed."""

    __tablename__ = "changes_template"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_changes_template_name"),)
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(max_length=20000)
    risk_class: RiskClass = Field(default=RiskClass.low, sa_type=enum_type(RiskClass))
    rollback_plan: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    active: bool = True
    approved_by: str = Field(max_length=80)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApprovalRule(TenantScoped, table=True):
    """Who must approve a change of one type and risk class: roles, each with a quorum."""

    __tablename__ = "changes_approval_rule"
    __table_args__ = (
        UniqueConstraint("tenant_id", "change_type", "risk_class", name="uq_changes_rule_class"),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    change_type: ChangeType = Field(sa_type=enum_type(ChangeType))
    risk_class: RiskClass = Field(sa_type=enum_type(RiskClass))
    approvers: list[dict[str, Any]] = Field(default_factory=empty_list, sa_column=Column(JSON))
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_version = Column("version", Integer, nullable=False, default=1)


class Change(TenantScoped, table=True):
    __tablename__ = "changes_change"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_changes_change_number"),
        Index("ix_changes_change_created", "tenant_id", "created_at", "id"),
        Index("ix_changes_change_window", "tenant_id", "planned_start", "planned_end"),
        UniqueConstraint("tenant_id", "ticket_id", name="uq_changes_change_ticket"),
    )
    __mapper_args__ = {"version_id_col": _version}
    __audited__ = True
    __audit_digested__ = ("title", "description", "reason")

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=20)
    type: ChangeType = Field(sa_type=enum_type(ChangeType))
    status: ChangeStatus = Field(default=ChangeStatus.draft, sa_type=enum_type(ChangeStatus))
    title: str = Field(max_length=200)
    description: str = Field(max_length=20000)
    reason: str = Field(max_length=4000)
    service_ids: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON))
    ci_ids: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON))
    planned_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    planned_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    implementer_id: uuid.UUID | None = None
    implementer_name: str | None = Field(default=None, max_length=200)
    requested_by: str = Field(max_length=80)
    requested_by_name: str = Field(max_length=200)
    template_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    problem_id: uuid.UUID | None = None
    # The service is down during the window: it must lie within the DAP's maintenance windows.
    causes_downtime: bool = False
    rollback_plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    risk_class: RiskClass | None = Field(default=None, sa_type=enum_type(RiskClass))
    risk_score: int | None = None
    risk_answers: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    impact: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # The approval rule as it stood when the change was assessed: [{"role", "quorum"}].
    approvers: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    overdue_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column=_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    implemented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def _change_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "change_id"],
        ["changes_change.tenant_id", "changes_change.id"],
        name=f"fk_{table}_change",
    )


class ChangeEvent(TenantScoped, table=True):
    """One step in a change's life: who, when, from and to, and why. Never updated."""

    __tablename__ = "changes_event"
    __table_args__ = (
        _change_fk("changes_event"),
        Index("ix_changes_event_change", "tenant_id", "change_id", "at", "id"),
    )
    __audited__ = True
    __audit_digested__ = ("reason",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    change_id: uuid.UUID
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=80)
    actor_name: str = Field(max_length=200)
    kind: ChangeEventKind = Field(sa_type=enum_type(ChangeEventKind))
    from_value: str | None = Field(default=None, max_length=200)
    to_value: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=4000)
    data: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON))


class Vote(TenantScoped, table=True):
    """One approver's approval or rejection of a change, once, for the role it counts for."""

    __tablename__ = "changes_vote"
    __table_args__ = (
        _change_fk("changes_vote"),
        UniqueConstraint("tenant_id", "change_id", "voter", name="uq_changes_vote_voter"),
    )
    __audited__ = True
    __audit_digested__ = ("reason",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    change_id: uuid.UUID
    voter: str = Field(max_length=80)
    voter_name: str = Field(max_length=200)
    role: str = Field(max_length=40)
    decision: VoteDecision = Field(sa_type=enum_type(VoteDecision))
    reason: str = Field(max_length=4000)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Rollback(TenantScoped, table=True):
    """A rollback that happened: when it ran and what it achieved."""

    __tablename__ = "changes_rollback"
    __table_args__ = (_change_fk("changes_rollback"),)
    __audited__ = True
    __audit_digested__ = ("notes",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    change_id: uuid.UUID
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    outcome: RollbackOutcome = Field(sa_type=enum_type(RollbackOutcome))
    notes: str | None = Field(default=None, max_length=4000)
    recorded_by: str = Field(max_length=80)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Freeze(TenantScoped, table=True):
    """A period in which only emergency changes may be planned (e.g. the year end)."""

    __tablename__ = "changes_freeze"
    __table_args__ = (Index("ix_changes_freeze_period", "tenant_id", "starts_at", "ends_at"),)
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StoredEntry(TenantScoped, table=True):
    """A change's entry in the calendar as the calendar answers it (JSON, conflicts included),
    or NULL while stale; a change without a row is stale too. Derived data, deliberately not
    audited (like the KPI facts): a write that could alter an entry makes it stale in its own
    transaction and raises `epoch`; the worker writes it anew only over the epoch it read
    before computing (changes.calendar)."""

    __tablename__ = "changes_calendar_entry"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "change_id"],
            ["changes_change.tenant_id", "changes_change.id"],
            name="fk_changes_calendar_entry_change",
            ondelete="CASCADE",
        ),
        # The entries a write made stale, for the worker that writes them anew.
        Index(
            "ix_changes_calendar_entry_stale",
            "tenant_id",
            "change_id",
            sqlite_where=text("entry IS NULL"),
            postgresql_where=text("entry IS NULL"),
        ),
    )

    change_id: uuid.UUID = Field(primary_key=True)
    epoch: int = 0
    entry: str | None = Field(default=None, sa_column=Column(Text))


class FeedToken(TenantScoped, table=True):
    """A revocable secret in the address of the tenant's iCalendar feed of changes."""

    __tablename__ = "changes_feed_token"
    __audited__ = True
    __audit_masked__ = ("secret_hash",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=100)
    secret_hash: str = Field(max_length=64)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewOutcome(enum.StrEnum):
    successful = "successful"
    with_issues = "successful-with-issues"
    failed = "failed"
    rolled_back = "rolled-back"


class Review(TenantScoped, table=True):
    """The post-implementation review of a change: how it went, what it broke, what we learn."""

    __tablename__ = "changes_review"
    __table_args__ = (
        _change_fk("changes_review"),
        UniqueConstraint("tenant_id", "change_id", name="uq_changes_review_change"),
    )
    __audited__ = True
    __audit_digested__ = ("lessons",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    change_id: uuid.UUID
    outcome: ReviewOutcome = Field(sa_type=enum_type(ReviewOutcome, length=30))
    # The incidents the change caused: ticket ids of the same tenant.
    incident_ids: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON))
    lessons: str = Field(max_length=20000)
    reviewed_by: str = Field(max_length=80)
    reviewed_by_name: str = Field(max_length=200)
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Environment(enum.StrEnum):
    """The DTAP lane, in the order a release moves through it."""

    development = "development"
    test = "test"
    acceptance = "acceptance"
    production = "production"


class DeploymentKind(enum.StrEnum):
    deployment = "deployment"
    rollback = "rollback"  # the environment returned to an earlier version


class DeploymentResult(enum.StrEnum):
    succeeded = "succeeded"
    failed = "failed"


_release_row_version = Column("version", Integer, nullable=False, default=1)


class Release(TenantScoped, table=True):
    """A version of the client's software that bundles changes and moves through DTAP."""

    __tablename__ = "changes_release"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_changes_release_number"),
        Index("ix_changes_release_created", "tenant_id", "created_at", "id"),
    )
    __mapper_args__ = {"version_id_col": _release_row_version}
    __audited__ = True
    __audit_digested__ = ("description",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=20)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    release_version: str = Field(max_length=60)
    change_ids: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON))
    created_by: str = Field(max_length=80)
    created_by_name: str = Field(max_length=200)
    version: int = Field(default=1, sa_column=_release_row_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def _release_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "release_id"],
        ["changes_release.tenant_id", "changes_release.id"],
        name=f"fk_{table}_release",
    )


class Deployment(TenantScoped, table=True):
    """One deployment of a release version to an environment, or a rollback there to an
    earlier version: who, when, the result and the log. Never updated."""

    __tablename__ = "changes_deployment"
    __table_args__ = (
        _release_fk("changes_deployment"),
        Index("ix_changes_deployment_release", "tenant_id", "release_id", "at", "id"),
    )
    __audited__ = True
    __audit_digested__ = ("notes",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    release_id: uuid.UUID
    kind: DeploymentKind = Field(sa_type=enum_type(DeploymentKind))
    environment: Environment = Field(sa_type=enum_type(Environment))
    # The version deployed, or for a rollback the version the environment returned to.
    release_version: str = Field(max_length=60)
    # For a rollback: the version it replaced.
    replaced_version: str | None = Field(default=None, max_length=60)
    result: DeploymentResult = Field(sa_type=enum_type(DeploymentResult))
    at: datetime = Field(sa_type=UTCDateTime)
    log_url: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=4000)
    recorded_by: str = Field(max_length=80)
    recorded_by_name: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SignOff(TenantScoped, table=True):
    """The client's acceptance of one version of a release: production may take it."""

    __tablename__ = "changes_release_sign_off"
    __table_args__ = (
        _release_fk("changes_release_sign_off"),
        UniqueConstraint(
            "tenant_id", "release_id", "release_version", name="uq_changes_sign_off_version"
        ),
    )
    __audited__ = True
    __audit_digested__ = ("note",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    release_id: uuid.UUID
    release_version: str = Field(max_length=60)
    signed_by: str = Field(max_length=80)
    signed_by_name: str = Field(max_length=200)
    role: str = Field(max_length=40)
    note: str | None = Field(default=None, max_length=4000)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
