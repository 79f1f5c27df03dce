"""API keys for integrations, and grants of roles to the people and groups of a directory."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

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
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SubjectKind(enum.StrEnum):
    user = "user"
    group = "group"


class Grant(TenantScoped, table=True):
    """A role in this tenant for a user or group of an Entra directory, keyed by object id."""

    __tablename__ = "core_grant"
    __table_args__ = (Index("ix_core_grant_subject", "tenant_id", "subject_tid", "subject_oid"),)
    __audited__ = True  # grants and revocations are security events in the audit log

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    subject_kind: SubjectKind = Field(sa_type=enum_type(SubjectKind))
    subject_tid: uuid.UUID
    subject_oid: uuid.UUID
    subject_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=enum_type(Role, length=40))
    granted_by: str = Field(max_length=200)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=200)
