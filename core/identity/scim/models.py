"""Users and groups provisioned by a tenant's directory over SCIM, and the secrets it uses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index
from sqlmodel import Field

from core.factories import empty_dict
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, utcnow


class ScimCredential(TenantScoped, table=True):
    """A bearer secret with which the tenant's directory provisions; only a SHA-256 is kept."""

    __tablename__ = "core_scim_credential"
    __audited__ = True
    __audit_masked__ = ("secret_hash",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=100)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ScimUser(TenantScoped, table=True):
    """A provisioned user: the SCIM document, plus the columns access decisions read."""

    __tablename__ = "core_scim_user"
    __audited__ = True
    __table_args__ = (
        Index("ix_core_scim_user_object", "tenant_id", "directory_id", "object_id"),
        Index("uq_core_scim_user_user_name_key", "tenant_id", "user_name_key", unique=True),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_name: str = Field(max_length=300)
    # userName is unique regardless of case (RFC 7643 §4.1.1).
    user_name_key: str = Field(max_length=300)
    external_id: str | None = Field(default=None, max_length=300)
    # The Entra tenant (tid) and object id (oid) tokens of this user carry.
    directory_id: uuid.UUID | None = None
    object_id: uuid.UUID | None = None
    active: bool = True
    document: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScimGroup(TenantScoped, table=True):
    """A provisioned group; grants name it by its Entra object id."""

    __tablename__ = "core_scim_group"
    __audited__ = True
    __table_args__ = (Index("ix_core_scim_group_object", "tenant_id", "directory_id", "object_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    display_name: str = Field(max_length=300)
    external_id: str | None = Field(default=None, max_length=300)
    directory_id: uuid.UUID | None = None
    object_id: uuid.UUID | None = None
    document: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScimMember(TenantScoped, table=True):
    """A user's membership of a group, as the directory last provisioned it."""

    __tablename__ = "core_scim_member"
    __audited__ = True
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "group_id"], ["core_scim_group.tenant_id", "core_scim_group.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["core_scim_user.tenant_id", "core_scim_user.id"]
        ),
        Index("ix_core_scim_member_user", "tenant_id", "user_id"),
    )

    group_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(primary_key=True)
    # The label the directory sent for the member; returned as sent (RFC 7643 §4.2 'display').
    display: str | None = Field(default=None, max_length=300)
