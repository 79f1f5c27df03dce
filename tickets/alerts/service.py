"""Alert intake: fold alerts into one open incident per fingerprint. Never commits.

A payload is applied in two phases so that concurrent payloads cannot deadlock: first every
fold it needs is locked or reserved, in fingerprint order; only then are incidents opened
(which takes the tenant's ticket-number lock), counted on, annotated or resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from core.identity.permissions import Principal
from core.types import utcnow
from tickets import lifecycle, workflow
from tickets import service as ticket_service
from tickets.alerts import ci_rules, incidents, permissions, repository, rules
from tickets.alerts.models import (
    AlertCiRule,
    AlertFold,
    AlertRule,
    AlertSettings,
    AlertStatus,
    OnResolved,
)
from tickets.alerts.normalize import Alert
from tickets.models import EventKind, Ticket


@dataclass
class Summary:
    created: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    annotated: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def add(self, outcome: list[str], value: str) -> None:
        """Record a value once: a batch can name one ticket several times."""
        if value not in outcome:
            outcome.append(value)


@dataclass
class _Open:
    fold: AlertFold
    ticket: Ticket | None  # None: reserved, the incident is opened by the first firing alert


class Intake:
    """One payload's unit of work: its folds, the tenant's rules and settings, loaded once."""

    def __init__(self, session: Session, actor: Principal) -> None:
        self.session, self.actor = session, actor
        self.folds: dict[str, _Open] = {}
        self.summary = Summary()
        self._rules: list[AlertRule] | None = None
        self._ci_rules: list[AlertCiRule] | None = None
        self._settings: AlertSettings | None = None

    def lock(self, alerts: list[Alert]) -> None:
        """Phase one: lock the open folds of these fingerprints and reserve missing ones."""
        fingerprints = sorted({a.fingerprint for a in alerts})
        for fold, ticket in repository.open_folds(self.session, fingerprints):
            self.folds[fold.fingerprint] = _Open(fold, ticket)
        firing = {a.fingerprint: a for a in alerts if a.status == AlertStatus.firing}
        for fingerprint in fingerprints:
            if fingerprint in firing and not self._usable(fingerprint):
                self._reserve(firing[fingerprint])

    def _usable(self, fingerprint: str) -> bool:
        found = self.folds.get(fingerprint)
        return found is not None and (found.ticket is None or _is_open(found.ticket))

    def _reserve(self, alert: Alert) -> None:
        stale = self.folds.pop(alert.fingerprint, None)
        if stale is not None:
            stale.fold.is_open = None  # its incident ended: the next firing opens a new one
        fold = AlertFold(
            fingerprint=alert.fingerprint,
            source=alert.source,
            labels=alert.labels,
            first_seen=utcnow(),
        )
        if repository.reserve(self.session, fold):
            self.folds[alert.fingerprint] = _Open(fold, None)
            return
        # A concurrent payload opened it first (and has committed): fold into theirs.
        for won, ticket in repository.open_folds(self.session, [alert.fingerprint]):
            self.folds[won.fingerprint] = _Open(won, ticket)

    def apply(self, alert: Alert) -> None:
        """Phase two: one alert's effect on its fold and incident."""
        if alert.status == AlertStatus.firing:
            self._fire(alert)
        else:
            self._resolve(alert)

    def _fire(self, alert: Alert) -> None:
        if not self._usable(alert.fingerprint):
            self._reserve(alert)  # only when one payload fires, resolves and fires again
        found = self.folds[alert.fingerprint]
        fold = found.fold
        ci_rule = ci_rules.matching(self.known_ci_rules(), alert.labels)
        if found.ticket is None:
            found.ticket = incidents.open_incident(
                self.session,
                self.actor,
                alert,
                rules.choose(self.rules(), alert.labels),
                ci_id=ci_rule.ci_id if ci_rule else None,
            )
            fold.ticket_id = found.ticket.id
            self.summary.add(self.summary.created, found.ticket.number)
        else:
            self.summary.add(self.summary.folded, found.ticket.number)
        fold.occurrences += 1
        _seen(fold, alert)
        _link(found.ticket, fold, ci_rule)
        self._note(found.ticket, alert, fold)

    def _resolve(self, alert: Alert) -> None:
        found = self.folds.get(alert.fingerprint)
        if found is None or found.ticket is None or not _is_open(found.ticket):
            if found is not None and found.ticket is not None:
                found.fold.is_open = None
            self.summary.add(self.summary.ignored, alert.fingerprint)
            return
        fold, ticket = found.fold, found.ticket
        _seen(fold, alert)
        _link(ticket, fold, ci_rules.matching(self.known_ci_rules(), alert.labels))
        self._note(ticket, alert, fold)
        resolution = f"The monitoring ({alert.source}) reported the alert resolved."
        if self.settings().on_resolved == OnResolved.resolve and workflow.resolve(
            self.session, self.actor, ticket, resolution=resolution
        ):
            fold.is_open = None
            self.summary.add(self.summary.resolved, ticket.number)
        else:
            self.summary.add(self.summary.annotated, ticket.number)

    def _note(self, ticket: Ticket, alert: Alert, fold: AlertFold) -> None:
        matched = {"ciRuleId": str(fold.ci_rule_id), "ciId": str(fold.ci_id)}
        ticket_service.record(
            self.session,
            self.actor,
            ticket,
            EventKind.alert,
            after=alert.status.value,
            fingerprint=alert.fingerprint,
            source=alert.source,
            occurrences=fold.occurrences,
            startsAt=alert.starts_at.isoformat(),
            **(matched if fold.ci_rule_id else {}),
        )

    def rules(self) -> list[AlertRule]:
        """The tenant's rules, read once per batch however many alerts it holds."""
        if self._rules is None:
            self._rules = repository.rules(self.session)
        return self._rules

    def known_ci_rules(self) -> list[AlertCiRule]:
        """The tenant's CI rules, read once per batch however many alerts it holds."""
        if self._ci_rules is None:
            self._ci_rules = repository.ci_rules(self.session)
        return self._ci_rules

    def settings(self) -> AlertSettings:
        """The tenant's alert settings, read once per batch."""
        if self._settings is None:
            self._settings = rules.current_settings(self.session)
        return self._settings


def _is_open(ticket: Ticket) -> bool:
    return ticket.status not in lifecycle.DONE


def _link(ticket: Ticket, fold: AlertFold, rule: AlertCiRule | None) -> None:
    """Record the CI rule this alert matched on its fold, and give the incident the rule's
    CI unless a person chose another: only an incident without a CI, or with the one the
    alerts gave it before, follows the rules."""
    if rule is not None and ticket.ci_id in (None, fold.ci_id) and ticket.ci_id != rule.ci_id:
        ticket.ci_id = rule.ci_id
        ticket.updated_at = utcnow()
    fold.ci_rule_id = rule.id if rule else None
    fold.ci_id = rule.ci_id if rule else None


def _seen(fold: AlertFold, alert: Alert) -> None:
    fold.last_seen = utcnow()
    fold.last_status = alert.status
    if fold.labels != alert.labels:
        fold.labels = alert.labels


def ingest(session: Session, actor: Principal, *, alerts: list[Alert]) -> Summary:
    """Apply a whole, already validated payload in the caller's transaction: an alert with an
    open incident for its fingerprint is counted on it, others open one."""
    actor.require(permissions.INGEST)
    intake = Intake(session, actor)
    intake.lock(alerts)
    # Stable sort: one fingerprint's alerts keep their order of arrival.
    for alert in sorted(alerts, key=lambda a: a.fingerprint):
        intake.apply(alert)
    session.flush()
    return intake.summary
