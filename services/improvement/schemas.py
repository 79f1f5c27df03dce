"""API shapes of the improvement register."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, FiniteFloat, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel
from services.improvement.figures import KpiFigure
from services.improvement.models import ImprovementEventKind, ImprovementSource, ImprovementStatus

Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
MonthText = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
PeriodText = Annotated[
    str,
    StringConstraints(max_length=10),
    Field(description="A month (2026-11), quarter (2026-Q4) or year (2026), as /kpis takes it"),
]
Days = Annotated[FiniteFloat, Field(ge=0, le=10000)]

SOURCE_ID = (
    "The source object: a problem's id (problem), a ticket's (user-feedback), a change's "
    "(post-implementation-review, once changes are linked); none for the other kinds"
)
KPI = "The KPI figure the item should move, as named by GET /kpis (response, restore-platform, ...)"


class ImprovementCreate(ApiModel):
    """A proposed improvement; it joins the end of the backlog."""

    title: Title
    description: Text
    source_kind: ImprovementSource
    source_id: uuid.UUID | None = Field(None, description=SOURCE_ID)
    source_month: MonthText | None = Field(
        None, description="The KPI month behind an sla-breach-trend (required for it), YYYY-MM"
    )
    expected_benefit: Short | None = None
    kpi: KpiFigure | None = Field(None, description=KPI)
    baseline: FiniteFloat | None = Field(
        None,
        description="The figure now; with kpi. Left out for an sla-breach-trend: the figure "
        "of its sourceMonth, as GET /kpis computes it",
    )
    target: FiniteFloat | None = Field(None, description="The figure to reach; with kpi")
    effort_days: Days | None = Field(None, description="Estimated effort in person-days")
    owner: Name | None = Field(None, description="Who realises it")


class ImprovementUpdate(ApiModel):
    """Merge patch of an item's details; status and decisions have their own actions."""

    title: Title | None = None
    description: Text | None = None
    expected_benefit: Short | None = None
    kpi: KpiFigure | None = Field(None, description=KPI)
    baseline: FiniteFloat | None = None
    target: FiniteFloat | None = None
    effort_days: Days | None = Field(None, description="Estimated effort in person-days")
    owner: Name | None = None


class ImprovementFromSource(ImprovementUpdate):
    """A proposal made in one step from its source object (a known error), which gives the
    source and, unless given here, the title and description."""


class ImprovementPublic(ApiModel):
    id: uuid.UUID
    title: str
    description: str
    source_kind: ImprovementSource
    source_id: uuid.UUID | None
    source_month: str | None
    expected_benefit: str | None
    kpi: KpiFigure | None
    baseline: float | None
    target: float | None
    effort_days: float | None
    owner: str | None
    status: ImprovementStatus
    rank: int | None = Field(description="Place on the backlog, 1 first; null when off it")
    proposed_by: str
    proposed_by_name: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    change_ids: list[uuid.UUID] = Field(description="The changes that realise it")
    version: int
    created_at: datetime
    updated_at: datetime


class ImprovementPage(Page[ImprovementPublic]):
    """One page of improvements; pass nextCursor back as `cursor` for the next."""


class ImprovementTransition(ApiModel):
    status: ImprovementStatus = Field(
        description="planned, in-progress, realised or withdrawn; decisions and evaluation "
        "have their own actions"
    )
    reason: Reason | None = None


class ImprovementDecision(enum.StrEnum):
    accepted = "accepted"
    rejected = "rejected"


class ImprovementList(ApiModel):
    """The improvements that name one source object (a known error, a change's review),
    oldest first."""

    items: list[ImprovementPublic]


class ImprovementDecisionCreate(ApiModel):
    decision: ImprovementDecision
    reason: Reason


class ImprovementNoteCreate(ApiModel):
    text: Short


class ImprovementEventPublic(ApiModel):
    id: uuid.UUID
    item_id: uuid.UUID
    at: datetime
    actor: str
    actor_name: str
    kind: ImprovementEventKind
    from_value: str | None
    to_value: str | None
    text: str | None
    data: dict[str, Any]


class ImprovementEventList(ApiModel):
    items: list[ImprovementEventPublic]


class EventPage(Page[ImprovementEventPublic]):
    """One page of history rows; pass nextCursor back as `cursor` for the next."""


class ImprovementReviewRow(ApiModel):
    event: ImprovementEventPublic
    title: str = Field(description="The item's title now")
    status: ImprovementStatus = Field(description="The item's status now")


class ImprovementReview(Page[ImprovementReviewRow]):
    """What changed since the date, oldest first: proposals, decisions, status changes,
    progress notes and evaluations."""


class ImprovementOrder(ApiModel):
    item_ids: list[uuid.UUID] = Field(
        max_length=10000, description="Every item on the backlog, each once, first most wanted"
    )


class ImprovementMove(ApiModel):
    """Put the item just before or just after another item on the backlog (give one)."""

    before: uuid.UUID | None = None
    after: uuid.UUID | None = None


class ImprovementBacklog(ApiModel):
    version: int = Field(description="Send it back as If-Match to reorder")
    items: list[ImprovementPublic] = Field(description="In order, first most wanted")


class ImprovementEvaluationCreate(ApiModel):
    before: PeriodText
    after: PeriodText


class ImprovementEvaluation(ApiModel):
    item_id: uuid.UUID
    kpi: KpiFigure
    before_period: str
    after_period: str
    before_value: float | None = Field(description="Computed by the KPI package; null: none")
    after_value: float | None
    baseline: float | None
    target: float
    reached: bool | None = Field(description="null when the after period counted nothing")
    evaluated_by: str
    evaluated_at: datetime
