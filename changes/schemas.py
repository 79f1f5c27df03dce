"""API shapes of changes, their rollback plans, risk assessments, votes and rollbacks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AnyUrl, AwareDatetime, Field, StringConstraints, UrlConstraints

from changes.models import (
    ChangeEventKind,
    ChangeStatus,
    ChangeType,
    ReviewOutcome,
    RiskClass,
    RollbackOutcome,
    VoteDecision,
)
from core.api.pagination import Page
from core.api.schemas import ApiModel

Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
DOWNTIME = "The services are down during the window, which must then lie in the maintenance windows"
IMPLEMENTER = (
    "A member of one of the organisation's assignment groups, or the person raising the change"
)
IMPLEMENTER_NAME = "Defaults to the implementer's name in the assignment group"
Link = Annotated[AnyUrl, UrlConstraints(max_length=2000, allowed_schemes=["https", "http"])]


class RollbackStep(ApiModel):
    action: Short = Field(description="What to do, in the order the steps are listed")


class RollbackTest(ApiModel):
    """Where, when and by whom the plan was rehearsed, and the evidence of it."""

    environment: Name = Field(description="Where it was tested, e.g. acceptance")
    tested_at: AwareDatetime
    tested_by: Name
    evidence_url: Link = Field(description="A link to the test report or log")


class RollbackPlan(ApiModel):
    """How to undo the change: mandatory before it is submitted."""

    steps: list[RollbackStep] = Field(min_length=1, max_length=100)
    expected_minutes: int = Field(ge=1, le=7 * 24 * 60, description="Expected duration")
    executor: Name = Field(description="Who executes the rollback")
    trigger: Short = Field(description="The observation that decides to roll back")
    test: RollbackTest | None = Field(None, description="Absent while the plan is untested")


class ChangeCreate(ApiModel):
    """A new change in draft. A standard change names its template, which supplies the risk
    class and, when none is given, the rollback plan."""

    type: ChangeType
    template_id: uuid.UUID | None = Field(None, description="Required for a standard change")
    title: Title
    description: Text
    reason: Short
    service_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    ci_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="The configuration items it affects"
    )
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = Field(None, description="After plannedStart")
    implementer_id: uuid.UUID | None = Field(None, description=IMPLEMENTER)
    implementer_name: Name | None = Field(None, description=IMPLEMENTER_NAME)
    ticket_id: uuid.UUID | None = Field(None, description="The change-request ticket")
    problem_id: uuid.UUID | None = None
    causes_downtime: bool = Field(False, description=DOWNTIME)
    rollback_plan: RollbackPlan | None = None


class ChangeFromTicket(ApiModel):
    """The change a change-request ticket becomes; title and description default to the
    ticket's."""

    type: ChangeType = ChangeType.normal
    template_id: uuid.UUID | None = None
    title: Title | None = None
    description: Text | None = None
    reason: Short
    service_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    ci_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="The configuration items it affects"
    )
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    implementer_id: uuid.UUID | None = Field(None, description=IMPLEMENTER)
    implementer_name: Name | None = Field(None, description=IMPLEMENTER_NAME)
    causes_downtime: bool = Field(False, description=DOWNTIME)
    rollback_plan: RollbackPlan | None = None


class ChangeUpdate(ApiModel):
    """Merge patch of a draft's details; status has its own actions."""

    title: Title | None = None
    description: Text | None = None
    reason: Short | None = None
    service_ids: list[uuid.UUID] | None = Field(None, max_length=50)
    ci_ids: list[uuid.UUID] | None = Field(None, max_length=50)
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    implementer_id: uuid.UUID | None = Field(None, description=IMPLEMENTER)
    implementer_name: Name | None = Field(None, description=IMPLEMENTER_NAME)
    problem_id: uuid.UUID | None = None
    causes_downtime: bool | None = None
    rollback_plan: RollbackPlan | None = None


class Impact(ApiModel):
    services: int
    tenants: int
    open_incidents: int
    cis: int = Field(0, description="The configuration items the change names")
    reached_cis: int = Field(
        0, description="The CIs that rest on those, directly or not: what their failure reaches"
    )


class RiskAnswer(ApiModel):
    question: str
    question_text: str
    answer: str
    answer_text: str
    weight: int


class ConflictPublic(ApiModel):
    """A warning: another change in an overlapping window on a shared service or on a CI that
    is the same as or rests on one of this change's (`ci`), or a freeze."""

    kind: Literal["service", "ci", "freeze", "maintenance-window"]
    change_id: uuid.UUID | None = None
    number: str | None = None
    service_ids: list[uuid.UUID] | None = Field(None, description="The services both touch")
    ci_ids: list[uuid.UUID] | None = Field(
        None, description="The CIs of both changes that are the same or rest on one another"
    )
    freeze_id: uuid.UUID | None = None
    name: str | None = Field(None, description="The freeze period's name")


class ApproverQuorum(ApiModel):
    role: Key = Field(description="A role of Regie, e.g. product-owner or change-manager")
    quorum: int = Field(1, ge=1, le=20, description="How many holders of the role must approve")


class ChangePublic(ApiModel):
    id: uuid.UUID
    number: str
    type: ChangeType
    status: ChangeStatus
    title: str
    description: str
    reason: str
    service_ids: list[uuid.UUID]
    ci_ids: list[uuid.UUID]
    planned_start: datetime | None
    planned_end: datetime | None
    implementer_id: uuid.UUID | None
    implementer_name: str | None
    requested_by: str
    requested_by_name: str
    template_id: uuid.UUID | None
    ticket_id: uuid.UUID | None
    problem_id: uuid.UUID | None
    causes_downtime: bool
    rollback_plan: RollbackPlan | None
    risk_class: RiskClass | None
    risk_score: int | None
    risk_answers: list[RiskAnswer] | None
    impact: Impact | None
    approvers: list[ApproverQuorum] | None = Field(description="Who must approve, from the rule")
    flags: list[str] = Field(
        description="rollback-test-pending: an emergency change whose plan is still untested; "
        "overdue: not implemented within its planned window"
    )
    conflicts: list[ConflictPublic] | None = Field(
        None, description="Warnings for the window; given with one change, null in lists"
    )
    version: int
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    implemented_at: datetime | None
    closed_at: datetime | None


class ChangePage(Page[ChangePublic]):
    """One page of changes; pass nextCursor back as `cursor` for the next."""


class ChangeTransition(ApiModel):
    status: ChangeStatus = Field(
        description="submitted, scheduled, implementing, implemented, failed, closed or "
        "cancelled; assessment, approval and rollbacks have their own actions"
    )
    reason: Short | None = Field(None, description="Required to cancel and for failed")


class AssessmentCreate(ApiModel):
    """The answers to the tenant's risk questionnaire: question key to answer key."""

    answers: dict[Key, Key] = Field(min_length=1, max_length=50)


class VoteCreate(ApiModel):
    decision: VoteDecision
    reason: Short


class VotePublic(ApiModel):
    id: uuid.UUID
    voter: str
    voter_name: str
    role: str
    decision: VoteDecision
    reason: str
    at: datetime


class VoteList(ApiModel):
    items: list[VotePublic]


class RollbackCreate(ApiModel):
    """A rollback that happened."""

    started_at: AwareDatetime
    ended_at: AwareDatetime = Field(description="Not before startedAt")
    outcome: RollbackOutcome
    notes: Short | None = None


class RollbackPublic(ApiModel):
    id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    outcome: RollbackOutcome
    notes: str | None
    recorded_by: str
    recorded_at: datetime


class RollbackList(ApiModel):
    items: list[RollbackPublic]


class ChangeEventPublic(ApiModel):
    id: uuid.UUID
    at: datetime
    actor: str
    actor_name: str
    kind: ChangeEventKind
    from_value: str | None
    to_value: str | None
    reason: str | None
    data: dict[str, Any]


class ChangeEventList(ApiModel):
    items: list[ChangeEventPublic]


class TemplateCreate(ApiModel):
    """A standard change, pre-approved by whoever records it: its risk class and its plan."""

    name: Name
    description: Text
    risk_class: RiskClass = RiskClass.low
    rollback_plan: RollbackPlan


class TemplateUpdate(ApiModel):
    name: Name | None = None
    description: Text | None = None
    risk_class: RiskClass | None = None
    rollback_plan: RollbackPlan | None = None
    active: bool | None = Field(None, description="An inactive template raises no new changes")


class TemplatePublic(ApiModel):
    id: uuid.UUID
    name: str
    description: str
    risk_class: RiskClass
    rollback_plan: RollbackPlan
    active: bool
    approved_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class TemplateList(ApiModel):
    items: list[TemplatePublic]


class ApprovalRuleCreate(ApiModel):
    """Who must approve changes of one type and risk class (standard changes need no rule)."""

    change_type: ChangeType
    risk_class: RiskClass
    approvers: list[ApproverQuorum] = Field(min_length=1, max_length=10)


class ApprovalRuleUpdate(ApiModel):
    approvers: list[ApproverQuorum] = Field(min_length=1, max_length=10)


class ApprovalRulePublic(ApiModel):
    id: uuid.UUID
    change_type: ChangeType
    risk_class: RiskClass
    approvers: list[ApproverQuorum]
    version: int
    updated_at: datetime


class ApprovalRuleList(ApiModel):
    items: list[ApprovalRulePublic]


class AnswerOption(ApiModel):
    key: Key
    text: Name
    weight: int = Field(ge=0, le=100)


class Question(ApiModel):
    key: Key
    text: Short
    answers: list[AnswerOption] = Field(min_length=2, max_length=10)


class ChangeSettingsPublic(ApiModel):
    """The risk questionnaire: the weights of the answers add up to the score, and the
    score gives the class (medium from mediumFrom, high from highFrom)."""

    questions: list[Question]
    medium_from: int
    high_from: int
    downtime_notice_days: int = Field(
        description="Days ahead that a change's downtime is mailed to the DAP's contacts"
    )
    version: int
    updated_at: datetime


class ChangeSettingsUpdate(ApiModel):
    questions: list[Question] | None = Field(None, min_length=1, max_length=50)
    medium_from: int | None = Field(None, ge=1, le=10000)
    high_from: int | None = Field(None, ge=1, le=10000, description="Above mediumFrom")
    downtime_notice_days: int | None = Field(
        None, ge=1, le=60, description="Days ahead that downtime is announced (1-60)"
    )


class ReviewCreate(ApiModel):
    """How an implemented, failed or rolled-back change went; once per change."""

    outcome: ReviewOutcome
    incident_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="Incidents the change caused"
    )
    lessons: Text


class ReviewPublic(ApiModel):
    id: uuid.UUID
    outcome: ReviewOutcome
    incident_ids: list[uuid.UUID]
    lessons: str
    reviewed_by: str
    reviewed_by_name: str
    reviewed_at: datetime


class Realisation(ApiModel):
    """The improvement of the register that this change realises."""

    improvement_id: uuid.UUID
