"""The CMDB's tables: a tenant's own CI classes, its CIs, each CI's versions, and relations.

Built-in classes are not rows (see `cmdb.builtin`), so a CI names its class by id without a
foreign key. A CI's every write adds a `cmdb_ci_version` row holding its whole state; a
relation is never edited, only added and later marked removed, so both carry their own
history and `?at=` reads the past from them without the audit log.
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

from core.factories import empty_dict, empty_list
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class CiStatus(enum.StrEnum):
    planned = "planned"
    active = "active"
    retired = "retired"


class RelationType(enum.StrEnum):
    """Directed: the source depends on, runs on, ... the target."""

    depends_on = "depends-on"
    runs_on = "runs-on"
    connects_to = "connects-to"
    provided_by = "provided-by"
    part_of = "part-of"


class VersionAction(enum.StrEnum):
    created = "created"
    updated = "updated"


_class_version = Column("version", Integer, nullable=False, default=1)
_ci_version = Column("version", Integer, nullable=False, default=1)


class CiClass(TenantScoped, table=True):
    """A class the tenant defined itself, with its typed attributes (a JSON list)."""

    __tablename__ = "cmdb_ci_class"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_cmdb_ci_class_key"),)
    __mapper_args__ = {"version_id_col": _class_version}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    key: str = Field(max_length=40)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    attributes: list[dict[str, Any]] = Field(default_factory=empty_list, sa_column=Column(JSON))
    version: int = Field(default=1, sa_column=_class_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Ci(TenantScoped, table=True):
    __tablename__ = "cmdb_ci"
    __table_args__ = (
        UniqueConstraint("tenant_id", "class_id", "natural_key", name="uq_cmdb_ci_natural_key"),
        Index("ix_cmdb_ci_name", "tenant_id", "name", "id"),
        Index("ix_cmdb_ci_created", "tenant_id", "created_at", "id"),
    )
    __mapper_args__ = {"version_id_col": _ci_version}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    class_id: uuid.UUID
    name: str = Field(max_length=200)
    natural_key: str = Field(max_length=200)
    status: CiStatus = Field(default=CiStatus.active, sa_type=enum_type(CiStatus))
    attributes: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    owner: str | None = Field(default=None, max_length=200)
    version: int = Field(default=1, sa_column=_ci_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CiVersion(TenantScoped, table=True):
    """The whole state of a CI after one write: who, when, and what it then was. Never updated."""

    __tablename__ = "cmdb_ci_version"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "ci_id"], ["cmdb_ci.tenant_id", "cmdb_ci.id"]),
        Index("ix_cmdb_ci_version_at", "tenant_id", "ci_id", "at"),
    )
    __audited__ = True

    ci_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    action: VersionAction = Field(sa_type=enum_type(VersionAction))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=80)
    actor_name: str = Field(max_length=200)
    class_id: uuid.UUID
    name: str = Field(max_length=200)
    natural_key: str = Field(max_length=200)
    status: CiStatus = Field(sa_type=enum_type(CiStatus))
    attributes: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    owner: str | None = Field(default=None, max_length=200)


class CiRelation(TenantScoped, table=True):
    """source --type--> target, from `created_at` until `removed_at` (open while current)."""

    __tablename__ = "cmdb_ci_relation"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "source_id"],
            ["cmdb_ci.tenant_id", "cmdb_ci.id"],
            name="fk_cmdb_ci_relation_source_cmdb_ci",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "target_id"],
            ["cmdb_ci.tenant_id", "cmdb_ci.id"],
            name="fk_cmdb_ci_relation_target_cmdb_ci",
        ),
        # One current relation of a type between two CIs; removed ones stay as history.
        Index(
            "uq_cmdb_ci_relation_current",
            "tenant_id",
            "source_id",
            "target_id",
            "type",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        Index("ix_cmdb_ci_relation_source", "tenant_id", "source_id", "target_id"),
        Index("ix_cmdb_ci_relation_target", "tenant_id", "target_id", "source_id"),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    source_id: uuid.UUID
    target_id: uuid.UUID
    type: RelationType = Field(sa_type=enum_type(RelationType))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=80)
    created_by_name: str = Field(max_length=200)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: str | None = Field(default=None, max_length=80)
    removed_by_name: str | None = Field(default=None, max_length=200)
