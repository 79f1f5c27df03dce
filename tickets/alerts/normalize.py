"""Both payload formats reduced to one shape: the alerts Regie folds, in arrival order."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from tickets.alerts.models import AlertStatus
from tickets.alerts.schemas import AlertEvent, AlertmanagerAlert, AlertmanagerPayload

ALERTMANAGER = "alertmanager"
_TITLE, _TEXT = 200, 20000


@dataclass(frozen=True)
class Alert:
    fingerprint: str
    status: AlertStatus
    source: str
    labels: dict[str, str]
    summary: str
    description: str
    starts_at: datetime


def derive_fingerprint(source: str, labels: dict[str, str]) -> str:
    """A stable fingerprint for an alert that came without one: same source and labels, same
    fingerprint."""
    raw = json.dumps([source, sorted(labels.items())], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def from_alertmanager(payload: AlertmanagerPayload) -> list[Alert]:
    """Alertmanager's webhook batch as alerts, so its payload is handled like any other source's."""
    return [_from_alertmanager_alert(a) for a in payload.alerts]


def _from_alertmanager_alert(alert: AlertmanagerAlert) -> Alert:
    notes = alert.annotations
    summary = notes.get("summary") or notes.get("title") or alert.labels.get("alertname", "")
    text = notes.get("description") or notes.get("message") or ""
    return Alert(
        fingerprint=alert.fingerprint or derive_fingerprint(ALERTMANAGER, alert.labels),
        status=alert.status,
        source=ALERTMANAGER,
        labels=alert.labels,
        summary=_title(summary or "Alert from Alertmanager"),
        description=_describe(text, alert.labels, alert.generator_url),
        starts_at=alert.starts_at,
    )


def from_event(event: AlertEvent) -> list[Alert]:
    """A generic monitoring event as alerts; without a fingerprint, one derived from its labels."""
    labels = dict(event.labels)
    if event.severity is not None:
        labels.setdefault("severity", event.severity)
    return [
        Alert(
            fingerprint=event.fingerprint or derive_fingerprint(event.source, labels),
            status=event.status,
            source=event.source,
            labels=labels,
            summary=_title(event.summary),
            description=_describe(event.description or "", labels, None),
            starts_at=event.occurred_at,
        )
    ]


def _title(text: str) -> str:
    return " ".join(text.split())[:_TITLE] or "Alert"


def _describe(text: str, labels: dict[str, str], url: str | None) -> str:
    """The alert's own text, then its labels and where it came from: what an agent needs."""
    parts = [text.strip()] if text.strip() else []
    parts.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())))
    if url:
        parts.append(f"Source: {url}")
    return "\n\n".join(parts)[:_TEXT]
