"""Monitoring alerts: how they fold into incidents, the tenant's label rules and settings.

A fold ties one alert fingerprint to the incident it opened. `is_open` is True while that
incident is the one new alerts fold into and NULL afterwards, so the unique constraint on
(tenant, fingerprint, is_open) allows one open fold per fingerprint and any number of past
ones: two concurrent deliveries cannot both open an incident.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, UniqueConstraint
from sqlmodel import Field

from core.factories import empty_dict
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow
from tickets.models import Level, Priority


class AlertStatus(enum.StrEnum):
    firing = "firing"
    resolved = "resolved"


class OnResolved(enum.StrEnum):
    annotate = "annotate"  # a history row on the incident; people decide
    resolve = "resolve"  # the incident is resolved by the monitoring


class AlertSettings(TenantScoped, table=True):
    """Per tenant: what a resolved alert does to its open incident."""

    __tablename__ = "tickets_alert_settings"
    __audited__ = True

    on_resolved: OnResolved = Field(default=OnResolved.annotate, sa_type=enum_type(OnResolved))
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_rule_version = Column("version", Integer, nullable=False, default=1)


class AlertRule(TenantScoped, table=True):
    """Labels to match (equality and regular expressions) and what a match sets."""

    __tablename__ = "tickets_alert_rule"
    __table_args__ = (Index("ix_tickets_alert_rule_position", "tenant_id", "position", "id"),)
    __mapper_args__ = {"version_id_col": _rule_version}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=100)
    position: int = Field(default=100)
    match: dict[str, str] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    match_regex: dict[str, str] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    service_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    impact: Level | None = Field(default=None, sa_type=enum_type(Level))
    urgency: Level | None = Field(default=None, sa_type=enum_type(Level))
    priority: Priority | None = Field(default=None, sa_type=enum_type(Priority))
    version: int = Field(default=1, sa_column=_rule_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_ci_rule_version = Column("version", Integer, nullable=False, default=1)


class AlertCiRule(TenantScoped, table=True):
    """Alerts carrying every one of these labels concern this CI. `match_key` is the labels
    in one canonical form, so two rules cannot claim the very same labels."""

    __tablename__ = "tickets_alert_ci_rule"
    __table_args__ = (
        UniqueConstraint("tenant_id", "match_key", name="uq_tickets_alert_ci_rule_match"),
    )
    __mapper_args__ = {"version_id_col": _ci_rule_version}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=100)
    match: dict[str, str] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    match_key: str = Field(max_length=64)  # sha256 of the canonical labels
    ci_id: uuid.UUID
    version: int = Field(default=1, sa_column=_ci_rule_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertFold(TenantScoped, table=True):
    """One fingerprint's incident: how often it fired, when first and last, its last state."""

    __tablename__ = "tickets_alert_fold"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint", "is_open", name="uq_tickets_alert_fold_open"),
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets_ticket.tenant_id", "tickets_ticket.id"]
        ),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    fingerprint: str = Field(max_length=200)
    # Set in the same transaction right after the fold is reserved (see service.reserve).
    ticket_id: uuid.UUID | None = None
    is_open: bool | None = True
    source: str = Field(max_length=100)
    occurrences: int = 0
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_status: AlertStatus = Field(default=AlertStatus.firing, sa_type=enum_type(AlertStatus))
    labels: dict[str, str] = Field(default_factory=empty_dict, sa_column=Column(JSON))
    # The CI rule the last alert matched and the CI it gave (None: no rule matched).
    ci_rule_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
