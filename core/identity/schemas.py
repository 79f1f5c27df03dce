"""API shapes of grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel
from core.identity.models import ReviewDecision, SubjectKind
from core.identity.roles import Role


class GrantCreate(ApiModel):
    subject_kind: SubjectKind
    subject_tid: uuid.UUID
    subject_oid: uuid.UUID
    subject_name: Annotated[str, StringConstraints(max_length=200)] = ""
    role: Role


class _GrantFacts(ApiModel):
    """Who holds which role, granted by whom and when: shared by grants and review items."""

    subject_kind: SubjectKind
    subject_tid: uuid.UUID
    subject_oid: uuid.UUID
    subject_name: str
    role: Role
    granted_by: str
    granted_at: datetime


class GrantPublic(_GrantFacts):
    id: uuid.UUID
    revoked_at: datetime | None
    revoked_by: str | None


class GrantPage(Page[GrantPublic]):
    """One page of grants, oldest first."""


class ApiKeyCreate(ApiModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    permissions: list[Annotated[str, StringConstraints(max_length=100)]]
    expires_at: datetime | None = None


class ApiKeyPublic(ApiModel):
    id: uuid.UUID
    name: str
    permissions: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    token: str = Field(description="The secret; shown only in this answer, never again")


class ApiKeyPage(Page[ApiKeyPublic]):
    """The API keys of this tenant, oldest first."""


class WebSessionPublic(ApiModel):
    id: uuid.UUID
    user_tid: uuid.UUID | None
    user_oid: uuid.UUID
    user_name: str
    user_agent: str
    client_address: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    ended_reason: str | None


class WebSessionPage(Page[WebSessionPublic]):
    """Live sessions, newest first."""


class AccessReviewCreate(ApiModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reviewer_tid: uuid.UUID | None = None
    reviewer_oid: uuid.UUID
    reviewer_name: Annotated[str, StringConstraints(max_length=200)] = ""
    due_at: datetime


class AccessReviewPublic(ApiModel):
    id: uuid.UUID
    name: str
    reviewer_tid: uuid.UUID | None
    reviewer_oid: uuid.UUID
    reviewer_name: str
    started_by: str
    started_at: datetime
    due_at: datetime
    completed_at: datetime | None
    overdue: bool = False


class AccessReviewItemPublic(_GrantFacts):
    id: uuid.UUID
    grant_id: uuid.UUID
    last_sign_in_at: datetime | None
    decision: ReviewDecision
    decided_at: datetime | None
    note: str


class AccessReviewDetail(AccessReviewPublic):
    items: list[AccessReviewItemPublic]


class AccessReviewPage(Page[AccessReviewPublic]):
    """Access reviews, newest first."""


class DecisionCreate(ApiModel):
    decision: Literal["confirmed", "revoked"]
    note: Annotated[str, StringConstraints(max_length=1000)] = ""
