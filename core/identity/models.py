"""API keys for integrations, and grants of roles to the people and groups of a directory."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index
from sqlmodel import Field, SQLModel

from core.factories import empty_list
from core.identity.roles import Role
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class ApiKey(TenantScoped, table=True):
    __tablename__ = "core_api_key"
    __audited__ = True
    __audit_masked__ = ("secret_hash",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=100)
    secret_hash: str = Field(max_length=64)
    permissions: list[str] = Field(
        default_factory=empty_list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SubjectKind(enum.StrEnum):
    user = "user"
    group = "group"


class GrantFacts(SQLModel):
    """Who holds which role, granted by whom and when: a grant, and a review's copy of one."""

    subject_kind: SubjectKind = Field(sa_type=enum_type(SubjectKind))
    subject_tid: uuid.UUID
    subject_oid: uuid.UUID
    subject_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=enum_type(Role, length=40))
    granted_by: str = Field(max_length=200)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Grant(GrantFacts, TenantScoped, table=True):
    """A role in this tenant for a user or group of an Entra directory, keyed by object id."""

    __tablename__ = "core_grant"
    __table_args__ = (Index("ix_core_grant_subject", "tenant_id", "subject_tid", "subject_oid"),)
    __audited__ = True  # grants and revocations are security events in the audit log

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=200)


class WebSession(TenantScoped, table=True):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 is stored."""

    __tablename__ = "core_web_session"
    __table_args__ = (Index("ix_core_web_session_user", "tenant_id", "user_tid", "user_oid"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    secret_hash: str = Field(max_length=64)
    csrf_token: str = Field(max_length=64)
    user_tid: uuid.UUID | None = None  # None for the demo sign-in
    user_oid: uuid.UUID
    user_name: str = Field(default="", max_length=200)
    app_roles: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    id_token: str | None = Field(default=None, max_length=8000)
    user_agent: str = Field(default="", max_length=300)
    client_address: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # the absolute limit
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = Field(default=None, max_length=100)


class LoginAttempt(TenantScoped, table=True):
    """State, nonce and PKCE verifier of a sign-in under way, kept server-side."""

    __tablename__ = "core_login_attempt"

    state: str = Field(primary_key=True, max_length=100)
    nonce: str = Field(max_length=64)
    code_verifier: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReviewDecision(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    revoked = "revoked"


class AccessReview(TenantScoped, table=True):
    """A campaign in which a named reviewer confirms or revokes every grant of the tenant."""

    __tablename__ = "core_access_review"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    reviewer_tid: uuid.UUID | None = None
    reviewer_oid: uuid.UUID
    reviewer_name: str = Field(default="", max_length=200)
    started_by: str = Field(max_length=200)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccessReviewItem(GrantFacts, TenantScoped, table=True):
    """One grant as it stood when the review started, and the reviewer's decision on it."""

    __tablename__ = "core_access_review_item"
    # Composite keys carry the tenant, so a row can never point into another tenant.
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "review_id"], ["core_access_review.tenant_id", "core_access_review.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "grant_id"], ["core_grant.tenant_id", "core_grant.id"]),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    review_id: uuid.UUID
    grant_id: uuid.UUID
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision: ReviewDecision = Field(
        default=ReviewDecision.pending, sa_type=enum_type(ReviewDecision)
    )
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str = Field(default="", max_length=1000)
