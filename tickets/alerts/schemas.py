"""API shapes of alert intake: the Alertmanager webhook, the generic event, rules, settings."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

from core.api.schemas import ApiModel
from tickets.alerts.models import AlertStatus, OnResolved
from tickets.models import Level, Priority

LabelName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]{0,99}$")]
LabelValue = Annotated[str, StringConstraints(max_length=1000)]
Labels = Annotated[dict[LabelName, LabelValue], Field(max_length=100)]
Annotations = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=200)],
        Annotated[str, StringConstraints(max_length=10000)],
    ],
    Field(max_length=100),
]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,200}$")]
Url = Annotated[str, StringConstraints(max_length=2000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class _Alertmanager(BaseModel):
    """Alertmanager sends more than Regie reads (and adds fields over time): unknown fields
    are ignored, the ones read are validated."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class AlertmanagerAlert(_Alertmanager):
    status: AlertStatus
    labels: Annotated[Labels, Field(min_length=1)]
    annotations: Annotations = {}
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    generator_url: Url | None = Field(None, alias="generatorURL")
    fingerprint: Fingerprint | None = Field(
        None, description="Alertmanager's; derived from the labels when absent"
    )


class AlertmanagerPayload(_Alertmanager):
    """Prometheus Alertmanager's webhook body (version 4), as its `webhook_configs` post it."""

    version: Literal["4"]
    group_key: Annotated[str, StringConstraints(max_length=4000)] = ""
    truncated_alerts: int = 0
    status: AlertStatus
    receiver: Annotated[str, StringConstraints(max_length=200)] = ""
    group_labels: Labels = {}
    common_labels: Labels = {}
    common_annotations: Annotations = {}
    external_url: Url | None = Field(None, alias="externalURL")
    alerts: Annotated[list[AlertmanagerAlert], Field(min_length=1, max_length=1000)]


_EVENT_EXAMPLE: dict[str, Any] = {
    "source": "zabbix",
    "status": "firing",
    "summary": "Disk /var almost full on app-01",
    "description": "Free space below 5 % for 10 minutes.",
    "labels": {"host": "app-01", "service": "case-system"},
    "severity": "critical",
    "occurredAt": "2026-11-26T08:15:00Z",
}


class AlertEvent(ApiModel):
    """A monitoring event in Regie's own format, for tools other than Alertmanager.

    Events with the same fingerprint fold into one open incident. Without a fingerprint it
    is derived from `source` and `labels`, so equal labels from the same source fold."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    source: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")] = Field(
        description="The sending system, e.g. zabbix"
    )
    fingerprint: Fingerprint | None = Field(
        None, description="Identifies the alert; default: derived from source and labels"
    )
    status: AlertStatus = Field(description="firing opens or folds; resolved ends")
    summary: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="One line; becomes the incident's title"
    )
    description: Annotated[str, StringConstraints(max_length=10000)] | None = None
    labels: Labels = Field(default={}, description="Matched by the tenant's alert rules")
    severity: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")] | None = Field(
        None, description="Also matched by rules, as the label `severity`"
    )
    occurred_at: AwareDatetime = Field(description="When the condition began (with time zone)")


class IntakeSummary(ApiModel):
    """What the payload did: ticket numbers per outcome, fingerprints of ignored alerts."""

    created: list[str] = Field(description="Incidents opened")
    folded: list[str] = Field(description="Open incidents a firing alert was counted on")
    resolved: list[str] = Field(description="Incidents resolved by a resolved alert")
    annotated: list[str] = Field(description="Incidents a resolved alert was noted on")
    ignored: list[str] = Field(description="Fingerprints of resolved alerts with no incident")


def _compiles(patterns: dict[str, str] | None) -> dict[str, str] | None:
    for name, pattern in (patterns or {}).items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{name}: not a regular expression ({exc})") from None
    return patterns


Regexes = Annotated[
    dict[LabelName, Annotated[str, StringConstraints(max_length=500)]], Field(max_length=50)
]


class RuleCreate(ApiModel):
    """Alerts whose labels equal every `match` value and fully match every `matchRegex`
    pattern get this rule's settings; rules are tried by position, and for each setting the
    first matching rule that gives it wins."""

    name: Name
    position: Annotated[int, Field(ge=0, le=100000)] = 100
    match: Annotated[Labels, Field(max_length=50)] = {}
    match_regex: Regexes = {}
    service_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = Field(None, description="Assignment group of new incidents")
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = Field(None, description="Overrides impact x urgency")

    _regex = field_validator("match_regex")(_compiles)


class RuleUpdate(ApiModel):
    """Merge patch: only the given fields change; null clears an optional setting."""

    name: Name | None = None
    position: Annotated[int, Field(ge=0, le=100000)] | None = None
    match: Annotated[Labels, Field(max_length=50)] | None = None
    match_regex: Regexes | None = None
    service_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = None

    _regex = field_validator("match_regex")(_compiles)


class RulePublic(ApiModel):
    id: uuid.UUID
    name: str
    position: int
    match: dict[str, str]
    match_regex: dict[str, str]
    service_id: uuid.UUID | None
    group_id: uuid.UUID | None
    impact: Level | None
    urgency: Level | None
    priority: Priority | None
    version: int
    created_at: datetime
    updated_at: datetime


class RuleList(ApiModel):
    items: list[RulePublic]


class AlertSettingsPublic(ApiModel):
    on_resolved: OnResolved = Field(
        description="annotate: a history row on the incident; resolve: resolve it"
    )


class AlertSettingsUpdate(ApiModel):
    on_resolved: OnResolved | None = None


CiLabels = Annotated[
    dict[LabelName, Annotated[str, StringConstraints(min_length=1, max_length=200)]],
    Field(min_length=1, max_length=10),
]


class CiRuleCreate(ApiModel):
    """Alerts whose labels equal every `match` value concern the CI: the incident they open
    or update gets it. When several rules match, the one with the most labels wins (ties:
    the oldest); two rules cannot have the very same labels."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Case system database",
                    "match": {"service": "zaaksysteem", "env": "prod"},
                    "ciId": "0193a4f2-5b7e-7c1d-9e2f-3a4b5c6d7e8f",
                }
            ]
        }
    )

    name: Name
    match: CiLabels
    ci_id: uuid.UUID = Field(description="A configuration item of this tenant")


class CiRuleUpdate(ApiModel):
    """Merge patch: only the given fields change; none may be null."""

    name: Name | None = None
    match: CiLabels | None = None
    ci_id: uuid.UUID | None = None


class CiRulePublic(ApiModel):
    id: uuid.UUID
    name: str
    match: dict[str, str]
    ci_id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime


class CiRuleList(ApiModel):
    items: list[CiRulePublic] = Field(description="Most specific first")
