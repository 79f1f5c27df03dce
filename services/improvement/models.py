"""The improvement register: items, their history (progress notes included), the tenant's
one ordered backlog, the changes that realise an item and its evaluation.

ImprovementStatus is a column for fast lists; every change of it is also a row in
`services_improvement_event`, and the review of what changed since a date reads those rows.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, UniqueConstraint
from sqlmodel import Field

from core.factories import empty_dict, empty_list
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class ImprovementSource(enum.StrEnum):
    problem = "problem"
    sla_breach_trend = "sla-breach-trend"
    post_implementation_review = "post-implementation-review"
    audit_finding = "audit-finding"
    user_feedback = "user-feedback"
    supplier_proposal = "supplier-proposal"


class ImprovementStatus(enum.StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    planned = "planned"
    in_progress = "in-progress"
    realised = "realised"
    evaluated = "evaluated"
    rejected = "rejected"
    withdrawn = "withdrawn"


# The statuses of work still to be done: the items the product owner orders.
ON_BACKLOG = frozenset(
    {
        ImprovementStatus.proposed,
        ImprovementStatus.accepted,
        ImprovementStatus.planned,
        ImprovementStatus.in_progress,
    }
)
FINAL = frozenset(
    {ImprovementStatus.evaluated, ImprovementStatus.rejected, ImprovementStatus.withdrawn}
)


class ImprovementEventKind(enum.StrEnum):
    created = "created"
    updated = "updated"
    status = "status"
    decision = "decision"
    note = "note"
    evaluated = "evaluated"
    change_linked = "change-linked"


_version = Column("version", Integer, nullable=False, default=1)


class Item(TenantScoped, table=True):
    __tablename__ = "services_improvement_item"
    __table_args__ = (
        Index("ix_services_improvement_item_created", "tenant_id", "created_at", "id"),
        Index("ix_services_improvement_item_source", "tenant_id", "source_kind", "source_id"),
        # What a feed proposed on its own (a KPI month and figure): proposed once.
        UniqueConstraint("tenant_id", "feed_key", name="uq_services_improvement_item_feed_key"),
    )
    __mapper_args__ = {"version_id_col": _version}
    __audited__ = True
    # Free text may hold personal data; the immutable log keeps digests.
    __audit_digested__ = ("title", "description", "expected_benefit", "decision_reason")

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(max_length=20000)
    source_kind: ImprovementSource = Field(sa_type=enum_type(ImprovementSource, 32))
    source_id: uuid.UUID | None = None
    source_month: date | None = None  # the KPI month of an SLA breach trend (its first day)
    expected_benefit: str | None = Field(default=None, max_length=4000)
    kpi: str | None = Field(default=None, max_length=40)
    baseline: float | None = None
    target: float | None = None
    effort_days: float | None = None
    owner: str | None = Field(default=None, max_length=200)
    status: ImprovementStatus = Field(
        default=ImprovementStatus.proposed, sa_type=enum_type(ImprovementStatus)
    )
    proposed_by: str = Field(max_length=80)
    proposed_by_name: str = Field(max_length=200)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, max_length=2000)
    feed_key: str | None = Field(default=None, max_length=80)
    version: int = Field(default=1, sa_column=_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def _item_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "item_id"],
        ["services_improvement_item.tenant_id", "services_improvement_item.id"],
    )


class Event(TenantScoped, table=True):
    """One change in an item's life, or a progress note: who, when, what from and to, why.
    Never updated."""

    __tablename__ = "services_improvement_event"
    __table_args__ = (
        _item_fk(),
        Index("ix_services_improvement_event_item", "tenant_id", "item_id", "at", "id"),
        Index("ix_services_improvement_event_at", "tenant_id", "at", "id"),
    )
    __audited__ = True
    __audit_digested__ = ("text",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    item_id: uuid.UUID
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=80)
    actor_name: str = Field(max_length=200)
    kind: ImprovementEventKind = Field(sa_type=enum_type(ImprovementEventKind))
    from_value: str | None = Field(default=None, max_length=200)
    to_value: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, max_length=4000)  # a reason or a progress note
    data: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON))


_backlog_version = Column("version", Integer, nullable=False, default=1)


class Backlog(TenantScoped, table=True):
    """The tenant's one ordered backlog: the ids of the items on it, first is most wanted.

    One row per tenant whose version is the ETag of the order, so two product owners moving
    items at once never overwrite each other: the second gets 412 and reads again."""

    __tablename__ = "services_improvement_backlog"
    __mapper_args__ = {"version_id_col": _backlog_version}
    __audited__ = True

    item_ids: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1, sa_column=_backlog_version)


class ChangeLink(TenantScoped, table=True):
    """A change (of change management) that realises the item."""

    __tablename__ = "services_improvement_change"
    __table_args__ = (_item_fk(),)
    __audited__ = True

    item_id: uuid.UUID = Field(primary_key=True)
    change_id: uuid.UUID = Field(primary_key=True)
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Evaluation(TenantScoped, table=True):
    """An item's KPI before and after, both computed by the KPI package, and whether the
    target was reached. One per item: evaluating moves it from realised to evaluated."""

    __tablename__ = "services_improvement_evaluation"
    __table_args__ = (_item_fk(),)
    __audited__ = True

    item_id: uuid.UUID = Field(primary_key=True)
    kpi: str = Field(max_length=40)
    before_period: str = Field(max_length=10)
    after_period: str = Field(max_length=10)
    before_value: float | None = None
    after_value: float | None = None
    baseline: float | None = None
    target: float
    reached: bool | None = None  # None when the after period counted nothing
    evaluated_by: str = Field(max_length=80)
    evaluated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
