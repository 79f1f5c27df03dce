"""What the web UI keeps of its own: each person's saved views of a list."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, utcnow


class SavedView(TenantScoped, table=True):
    """A named set of filters of one page, kept for one person in the tenant they sign in to.

    Only its owner lists, opens or deletes it; a view naming a tenant the owner no longer
    reaches simply shows nothing from there, since the filters run under the owner's access.
    """

    __tablename__ = "web_saved_view"
    __table_args__ = (
        UniqueConstraint("tenant_id", "owner_oid", "page", "name", name="uq_web_saved_view_name"),
        Index("ix_web_saved_view_owner", "tenant_id", "owner_oid", "page"),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    owner_oid: uuid.UUID
    page: str = Field(max_length=40)
    name: str = Field(max_length=80)
    query: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
