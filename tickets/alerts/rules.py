"""The tenant's alert rules and alert settings, and which rule settings an alert gets."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel
from sqlmodel import Session

from core.api.etag import check_if_match
from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import repository as ticket_repository
from tickets.alerts import permissions, repository
from tickets.alerts.errors import RuleNotFound
from tickets.alerts.models import AlertRule, AlertSettings
from tickets.alerts.schemas import AlertSettingsUpdate, RuleCreate, RuleUpdate
from tickets.models import Level, Priority
from tickets.references import check_service

_SETTINGS = ("service_id", "group_id", "impact", "urgency", "priority")


@dataclass
class Chosen:
    """What the matching rules set for one alert (None: not set by any)."""

    service_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = None


def matches(rule: AlertRule, labels: dict[str, str]) -> bool:
    """Every `match` label equal and every `match_regex` pattern matching the whole value."""
    if any(labels.get(k) != v for k, v in rule.match.items()):
        return False
    return all(re.fullmatch(p, labels.get(k, "")) for k, p in rule.match_regex.items())


def choose(rules: list[AlertRule], labels: dict[str, str]) -> Chosen:
    """For each setting, the value of the first matching rule (by position) that gives it."""
    chosen = Chosen()
    for rule in rules:
        if matches(rule, labels):
            for name in _SETTINGS:
                if getattr(chosen, name) is None:
                    setattr(chosen, name, getattr(rule, name))
    return chosen


def list_rules(session: Session, actor: Principal) -> list[AlertRule]:
    """The tenant's rules in the order they are tried."""
    actor.require(permissions.MANAGE)
    return repository.rules(session)


def get_rule(session: Session, actor: Principal, *, rule_id: uuid.UUID) -> AlertRule:
    """The rule, or RuleNotFound (also for another tenant's)."""
    actor.require(permissions.MANAGE)
    found = repository.rule(session, rule_id)
    if found is None:
        raise RuleNotFound(f"No alert rule with id {rule_id}.")
    return found


def create_rule(session: Session, actor: Principal, *, data: RuleCreate) -> AlertRule:
    """A new rule; its group must be one of the tenant's active groups."""
    actor.require(permissions.MANAGE)
    _check_group(session, data.group_id)
    check_service(session, data.service_id)
    created = AlertRule(**data.model_dump())
    session.add(created)
    session.flush()
    return created


def update_rule(
    session: Session,
    actor: Principal,
    *,
    rule_id: uuid.UUID,
    changes: RuleUpdate,
    if_match: str | None,
) -> AlertRule:
    """Apply the given fields, only if `if_match` names the version now stored."""
    current = get_rule(session, actor, rule_id=rule_id)
    check_if_match(if_match, current.version)
    given = changes.model_dump(exclude_unset=True)
    refuse_nulls(given, ("name", "position", "match", "match_regex"))
    _check_group(session, given.get("group_id"))
    check_service(session, given.get("service_id"))
    for field, value in given.items():
        setattr(current, field, value)
    if session.is_modified(current):
        current.updated_at = utcnow()
        session.flush()
    return current


def delete_rule(
    session: Session, actor: Principal, *, rule_id: uuid.UUID, if_match: str | None
) -> None:
    """Remove the rule; incidents it already routed keep their settings."""
    current = get_rule(session, actor, rule_id=rule_id)
    check_if_match(if_match, current.version)
    session.delete(current)
    session.flush()


def refuse_nulls(given: dict[str, Any], required: Iterable[str]) -> None:
    """A merge patch may not null a field the rule cannot do without: 400 naming each, as the
    API names them."""
    nulls = [to_camel(name) for name in required if name in given and given[name] is None]
    if nulls:
        raise InvalidInput(
            "These fields cannot be removed: " + ", ".join(nulls) + ".",
            invalidParams=[
                {"name": n, "pointer": f"/{n}", "reason": "may not be null"} for n in nulls
            ],
        )


def _check_group(session: Session, group_id: uuid.UUID | None) -> None:
    if group_id is None:
        return
    group = ticket_repository.group(session, group_id)
    if group is None or not group.active:
        raise InvalidInput(
            "The group is not an active assignment group of this tenant.",
            invalidParams=[{"name": "groupId", "pointer": "/groupId", "reason": "unknown group"}],
        )


def current_settings(session: Session) -> AlertSettings:
    """The stored settings, or the defaults (not stored) when none were saved yet."""
    return repository.settings(session) or AlertSettings()


def get_settings(session: Session, actor: Principal) -> AlertSettings:
    """The alert settings, to those who manage alerts; the defaults when none were saved."""
    actor.require(permissions.MANAGE)
    return current_settings(session)


def update_settings(
    session: Session, actor: Principal, *, changes: AlertSettingsUpdate, if_match: str | None
) -> AlertSettings:
    """Change what resolved alerts do; the first change stores the row."""
    actor.require(permissions.MANAGE)
    current = current_settings(session)
    check_if_match(if_match, current.version)
    given = changes.model_dump(exclude_unset=True, exclude_none=True)
    if not given:
        return current
    if current not in session:
        session.add(current)
    for field, value in given.items():
        setattr(current, field, value)
    current.updated_at = utcnow()
    current.version += 1
    session.flush()
    return current
