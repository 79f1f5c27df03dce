"""The DAP per tenant, one row per version."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, utcnow


class DapVersion(TenantScoped, table=True):
    """One version of a tenant's DAP. Never updated: a change is a new version.

    A version holds from 00:00 Europe/Amsterdam on `effective_from` until a later one takes
    effect; among versions of one date the highest number wins. The lists are stored as the
    API validated them (camelCase keys aside: see services.dap.service), one-off windows with
    UTC ISO timestamps.
    """

    __tablename__ = "services_dap_version"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_services_dap_version_number"),
        Index("ix_services_dap_version_effective", "tenant_id", "effective_from", "number"),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: int
    effective_from: date
    report_recipients: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    escalation_contacts: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    # [{"day": "tuesday", "start": "18:00", "end": "22:00", "description": ...}], local time.
    weekly_windows: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    # [{"start": ISO UTC, "end": ISO UTC, "description": ...}]
    one_off_windows: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    channels: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
