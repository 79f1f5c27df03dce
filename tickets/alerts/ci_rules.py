"""The tenant's alert CI rules: which configuration item an alert concerns, by its labels."""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlmodel import Session

from cmdb.public import check_ci
from core.api.etag import check_if_match
from core.errors import Conflict
from core.identity.permissions import Principal
from core.types import utcnow
from tickets.alerts import permissions, repository
from tickets.alerts.errors import CiRuleNotFound
from tickets.alerts.models import AlertCiRule
from tickets.alerts.rules import refuse_nulls
from tickets.alerts.schemas import CiRuleCreate, CiRuleUpdate


def matching(rules: list[AlertCiRule], labels: dict[str, str]) -> AlertCiRule | None:
    """The most specific rule all of whose labels the alert carries: the most labels wins,
    ties go to the first in `rules` (oldest first), so the answer never depends on chance."""
    found = [r for r in rules if all(labels.get(k) == v for k, v in r.match.items())]
    return max(found, key=lambda r: len(r.match), default=None)


def by_specificity(rules: list[AlertCiRule]) -> list[AlertCiRule]:
    """Most labels first, then oldest: the order in which they are tried."""
    return sorted(rules, key=lambda r: -len(r.match))


def list_rules(session: Session, actor: Principal) -> list[AlertCiRule]:
    """The tenant's CI rules, most specific first."""
    actor.require(permissions.MANAGE)
    return by_specificity(repository.ci_rules(session))


def get_rule(session: Session, actor: Principal, *, rule_id: uuid.UUID) -> AlertCiRule:
    """The rule, or CiRuleNotFound (also for another tenant's)."""
    actor.require(permissions.MANAGE)
    found = repository.ci_rule(session, rule_id)
    if found is None:
        raise CiRuleNotFound(f"No alert CI rule with id {rule_id}.")
    return found


def create_rule(session: Session, actor: Principal, *, data: CiRuleCreate) -> AlertCiRule:
    """A new rule for a CI of this tenant, on labels no other rule has."""
    actor.require(permissions.MANAGE)
    check_ci(session, data.ci_id)
    created = AlertCiRule(
        name=data.name, match=dict(data.match), match_key=_key(data.match), ci_id=data.ci_id
    )
    _save(session, created)
    return created


def update_rule(
    session: Session,
    actor: Principal,
    *,
    rule_id: uuid.UUID,
    changes: CiRuleUpdate,
    if_match: str | None,
) -> AlertCiRule:
    """Apply the given fields, only if `if_match` names the version now stored."""
    current = get_rule(session, actor, rule_id=rule_id)
    check_if_match(if_match, current.version)
    given = changes.model_dump(exclude_unset=True)
    refuse_nulls(given, given)  # every field of a CI rule is required
    check_ci(session, given.get("ci_id"))
    for field, value in given.items():
        setattr(current, field, value)
    if "match" in given:
        current.match_key = _key(given["match"])
    if session.is_modified(current):
        current.updated_at = utcnow()
        _save(session, current)
    return current


def delete_rule(
    session: Session, actor: Principal, *, rule_id: uuid.UUID, if_match: str | None
) -> None:
    """Remove the rule; incidents that already got its CI keep it."""
    current = get_rule(session, actor, rule_id=rule_id)
    check_if_match(if_match, current.version)
    session.delete(current)
    session.flush()


def _key(match: dict[str, str]) -> str:
    canonical = json.dumps(match, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _save(session: Session, rule: AlertCiRule) -> None:
    with session.no_autoflush:
        other = repository.ci_rule_by_key(session, rule.match_key)
    if (other is not None and other.id != rule.id) or not repository.save_ci_rule(session, rule):
        raise Conflict(
            "Another alert CI rule matches exactly these labels; change that one instead.",
            invalidParams=[{"name": "match", "pointer": "/match", "reason": "already used"}],
        )
