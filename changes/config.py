"""Per tenant: the risk questionnaire, the templates of standard changes and the approval
rules. Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from changes import permissions, repository, risk
from changes.errors import AlreadyExists, RuleNotFound, TemplateNotFound
from changes.models import ApprovalRule, ChangeSettings, ChangeTemplate, ChangeType, RiskClass
from changes.schemas import (
    ApprovalRuleCreate,
    ApprovalRuleUpdate,
    ChangeSettingsUpdate,
    TemplateCreate,
    TemplateUpdate,
)
from changes.service import invalid, raise_invalid
from core.api.etag import check_if_match
from core.identity.permissions import Principal
from core.identity.roles import Role
from core.types import utcnow


def _require_read(actor: Principal) -> None:
    if not (actor.can(permissions.READ) or actor.can(permissions.CONFIGURE)):
        actor.require(permissions.READ)


def current_settings(session: Session) -> ChangeSettings:
    """The tenant's settings; the default questionnaire until the tenant sets its own."""
    found = repository.settings(session)
    if found is None:
        return ChangeSettings(
            questions=risk.DEFAULT_QUESTIONS,
            medium_from=risk.DEFAULT_MEDIUM_FROM,
            high_from=risk.DEFAULT_HIGH_FROM,
        )
    if not found.questions:  # a transient copy: reading never writes the stored row
        return ChangeSettings(
            questions=risk.DEFAULT_QUESTIONS,
            medium_from=found.medium_from,
            high_from=found.high_from,
            downtime_notice_days=found.downtime_notice_days,
            version=found.version,
            updated_at=found.updated_at,
        )
    return found


def read_settings(session: Session, actor: Principal) -> ChangeSettings:
    """The questionnaire, for those who assess changes and those who set it up."""
    _require_read(actor)
    return current_settings(session)


def update_settings(
    session: Session, actor: Principal, *, data: ChangeSettingsUpdate, if_match: str | None
) -> ChangeSettings:
    """Replace the questionnaire, thresholds or notice days; assessed changes keep their answers."""
    actor.require(permissions.CONFIGURE)
    settings = repository.settings(session, create=True)
    assert settings is not None  # created just above when missing
    check_if_match(if_match, settings.version)
    given = data.model_dump(exclude_unset=True, by_alias=True)
    medium = given.get("mediumFrom", settings.medium_from)
    high = given.get("highFrom", settings.high_from)
    found = _check_questions(given.get("questions") or [])
    if high <= medium:
        found.append(invalid("highFrom", "above mediumFrom"))
    raise_invalid(found)
    if "questions" in given:
        settings.questions = given["questions"]
    settings.medium_from, settings.high_from = medium, high
    if given.get("downtimeNoticeDays") is not None:
        settings.downtime_notice_days = given["downtimeNoticeDays"]
    settings.version += 1
    settings.updated_at = utcnow()
    session.flush()
    return current_settings(session)


def _check_questions(questions: list[dict[str, Any]]) -> list[dict[str, str]]:
    found = []
    seen: set[str] = set()
    for i, question in enumerate(questions):
        if question["key"] in seen:
            found.append(invalid(f"questions.{i}.key", "used twice"))
        seen.add(question["key"])
        keys = [a["key"] for a in question["answers"]]
        if len(set(keys)) != len(keys):
            found.append(invalid(f"questions.{i}.answers", "an answer key is used twice"))
    return found


def approvers_for(
    session: Session, change_type: ChangeType, risk_class: RiskClass
) -> list[dict[str, Any]]:
    """Who must approve a change of this type and class: the tenant's rule, else the default."""
    rule = repository.rule_for(session, change_type, risk_class)
    return list(rule.approvers) if rule else risk.default_approvers(change_type, risk_class)


def list_templates(session: Session, actor: Principal) -> list[ChangeTemplate]:
    """The tenant's change templates, to readers and to those who configure them."""
    _require_read(actor)
    return repository.templates(session)


def get_template(session: Session, actor: Principal, *, template_id: uuid.UUID) -> ChangeTemplate:
    """The template, or TemplateNotFound (also for another tenant's id)."""
    _require_read(actor)
    found = repository.template(session, template_id)
    if found is None:
        raise TemplateNotFound(f"No change template with id {template_id}.")
    return found


def create_template(session: Session, actor: Principal, *, data: TemplateCreate) -> ChangeTemplate:
    """A standard change, pre-approved by whoever records it."""
    actor.require(permissions.CONFIGURE)
    if repository.template_named(session, data.name) is not None:
        raise AlreadyExists("A template with this name exists.")
    template = ChangeTemplate(
        name=data.name,
        description=data.description,
        risk_class=data.risk_class,
        rollback_plan=data.rollback_plan.model_dump(mode="json", by_alias=True),
        approved_by=actor.label,
    )
    session.add(template)
    session.flush()
    return template


def update_template(
    session: Session,
    actor: Principal,
    *,
    template_id: uuid.UUID,
    data: TemplateUpdate,
    if_match: str | None,
) -> ChangeTemplate:
    """Edit the template; changes raised from it before keep what they copied."""
    actor.require(permissions.CONFIGURE)
    template = get_template(session, actor, template_id=template_id)
    check_if_match(if_match, template.version)
    given = data.model_dump(exclude_unset=True)
    nulls = [k for k, v in given.items() if v is None]
    raise_invalid([invalid(k, "may not be null") for k in nulls])
    if data.name and data.name != template.name and repository.template_named(session, data.name):
        raise AlreadyExists("A template with this name exists.")
    for field, value in given.items():
        if field == "rollback_plan" and data.rollback_plan is not None:
            value = data.rollback_plan.model_dump(mode="json", by_alias=True)
        setattr(template, field, value)
    template.version += 1
    template.updated_at, template.approved_by = utcnow(), actor.label
    session.flush()
    return template


def list_rules(session: Session, actor: Principal) -> list[ApprovalRule]:
    """The tenant's approval rules, to readers and to those who configure them."""
    _require_read(actor)
    return repository.rules(session)


def get_rule(session: Session, actor: Principal, *, rule_id: uuid.UUID) -> ApprovalRule:
    """The rule, or RuleNotFound (also for another tenant's id)."""
    _require_read(actor)
    found = repository.rule(session, rule_id)
    if found is None:
        raise RuleNotFound(f"No approval rule with id {rule_id}.")
    return found


def create_rule(session: Session, actor: Principal, *, data: ApprovalRuleCreate) -> ApprovalRule:
    """Who approves changes of one type and risk class, replacing the default."""
    actor.require(permissions.CONFIGURE)
    raise_invalid(_check_roles(data.approvers, data.change_type))
    if repository.rule_for(session, data.change_type, data.risk_class) is not None:
        raise AlreadyExists("A rule for this type and risk class exists; change that one.")
    rule = ApprovalRule(
        change_type=data.change_type,
        risk_class=data.risk_class,
        approvers=[a.model_dump() for a in data.approvers],
    )
    session.add(rule)
    session.flush()
    return rule


def update_rule(
    session: Session,
    actor: Principal,
    *,
    rule_id: uuid.UUID,
    data: ApprovalRuleUpdate,
    if_match: str | None,
) -> ApprovalRule:
    """New approvers for changes assessed from now on; assessed changes keep theirs."""
    actor.require(permissions.CONFIGURE)
    rule = repository.rule(session, rule_id, for_update=True)
    if rule is None:
        raise RuleNotFound(f"No approval rule with id {rule_id}.")
    check_if_match(if_match, rule.version)
    raise_invalid(_check_roles(data.approvers, rule.change_type))
    rule.approvers = [a.model_dump() for a in data.approvers]
    rule.version += 1
    rule.updated_at = utcnow()
    session.flush()
    return rule


def _check_roles(approvers: list[Any], change_type: ChangeType) -> list[dict[str, str]]:
    found = [
        invalid(f"approvers.{i}.role", "not a role of Regie")
        for i, a in enumerate(approvers)
        if a.role not in Role._value2member_map_
    ]
    roles = [a.role for a in approvers]
    if len(set(roles)) != len(roles):
        found.append(invalid("approvers", "a role is named twice"))
    if change_type == ChangeType.standard:
        found.append(invalid("changeType", "a standard change is approved by its template"))
    return found
