"""Tenants (the clients) and the mixin that scopes a table to one of them."""

from __future__ import annotations

import copy
import enum
import uuid
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from pydantic_core import PydanticUndefined
from sqlmodel import Field, SQLModel
from sqlmodel._compat import finish_init, sqlmodel_init

from core.ids import new_id
from core.types import UTCDateTime, enum_type, utcnow

# Bound per request or job for logs and traces; the session keeps its own copy in session.info.
current_tenant: ContextVar[uuid.UUID | None] = ContextVar("current_tenant", default=None)


class TenantStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    offboarded = "offboarded"


class TenantKind(enum.StrEnum):
    client = "client"
    supplier = "supplier"  # the operator itself: its staff sign in through its own directory


class Tenant(SQLModel, table=True):
    """A client of the supplier. Global table: it is the tenancy itself."""

    __tablename__ = "core_tenant"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    entra_tenant_id: uuid.UUID | None = Field(default=None, unique=True)
    status: TenantStatus = Field(default=TenantStatus.active, sa_type=enum_type(TenantStatus))
    kind: TenantKind = Field(default=TenantKind.client, sa_type=enum_type(TenantKind))
    # An Entra authentication context (e.g. "c1") this tenant demands in the token's acrs.
    auth_context_id: str | None = Field(default=None, max_length=40)
    # Web sessions end after this much inactivity, and at the latest after the absolute limit.
    session_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)
    session_absolute_minutes: int = Field(default=600, ge=15, le=7 * 24 * 60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TenantScoped(SQLModel):
    """Base for every tenant-owned table: `tenant_id` leads the primary key.

    The session layer filters and stamps it; PostgreSQL row-level security enforces it.
    """

    # Stamped from the session at flush; a value naming another tenant is refused there.
    tenant_id: uuid.UUID = Field(default=None, foreign_key="core_tenant.id", primary_key=True)

    def __init__(self, **data: Any) -> None:
        """A new row, its values and defaults written straight into the instance.

        SQLModel sets each field twice, through the ORM's attribute events and pydantic's
        assignment handler: ~140 µs a row, several rows per ticket write, for events nothing
        listens to on a row not yet in a session. The row is the same: the values given,
        every default, the fields given as set."""
        if not finish_init.get():  # sqlmodel's model_validate fills the row itself
            return
        cls = type(self)
        plan = _plans[cls] if cls in _plans else _plan(cls)
        if plan is None:  # relationships, aliases or a post-init: SQLModel's own way
            sqlmodel_init(self=self, data=data)
        else:
            values = self.__dict__
            for name, default, how in plan:
                if name in data:
                    values[name] = data[name]
                elif how is _FACTORY:
                    values[name] = default()
                elif how is _COPY:
                    values[name] = copy.deepcopy(default)
                elif how is _VALUE:
                    values[name] = default
            object.__setattr__(self, "__pydantic_fields_set__", data.keys() & values.keys())


_FACTORY, _COPY, _VALUE, _REQUIRED = "factory", "copy", "value", "required"
_plans: dict[type, tuple[tuple[str, Any, str], ...] | None] = {}


def _plan(cls: type[SQLModel]) -> tuple[tuple[str, Any, str], ...] | None:
    """Each field's default and how to give it, worked out once per table; None where
    SQLModel's own construction must run."""
    fields = cls.model_fields
    plain = cls.model_config.get("table") and not (
        getattr(cls, "__sqlmodel_relationships__", None)
        or cls.__pydantic_post_init__
        or cls.model_config.get("extra") == "allow"
        or any(f.alias and f.alias != name for name, f in fields.items())
    )
    plan = tuple((name, *_default(f.default_factory, f.default)) for name, f in fields.items())
    _plans[cls] = plan if plain else None
    return _plans[cls]


def _default(factory: Any, default: Any) -> tuple[Any, str]:
    if factory is not None:
        return factory, _FACTORY
    if default is PydanticUndefined:
        return None, _REQUIRED
    return default, _COPY if isinstance(default, list | dict | set) else _VALUE
