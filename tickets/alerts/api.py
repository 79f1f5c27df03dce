"""Routes of alert intake, alert rules and alert settings: parse, call one service, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from core.api.deps import SessionDep, require
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from tickets.alerts import ci_rules, normalize, permissions, rules, service
from tickets.alerts.models import AlertCiRule, AlertRule, AlertSettings
from tickets.alerts.normalize import Alert
from tickets.alerts.schemas import (
    AlertEvent,
    AlertmanagerPayload,
    AlertSettingsPublic,
    AlertSettingsUpdate,
    CiRuleCreate,
    CiRuleList,
    CiRulePublic,
    CiRuleUpdate,
    IntakeSummary,
    RuleCreate,
    RuleList,
    RulePublic,
    RuleUpdate,
)

router = APIRouter(prefix=API_PREFIX, tags=["alerts"], route_class=ThreadedRoute)

Ingester = Annotated[Principal, require(permissions.INGEST)]
Manager = Annotated[Principal, require(permissions.MANAGE)]
RuleId = Annotated[uuid.UUID, Path(alias="ruleId")]

_INTAKE = (
    "Authenticated by an API key with `alerts:ingest` (a service account); the key's tenant "
    "is the tenant the alerts belong to. The payload is validated whole before anything is "
    "applied and applied in one transaction: an invalid alert anywhere gives 400 and nothing "
    "is stored. A firing alert whose fingerprint has an open incident is counted on it (a "
    "history row `alert`); otherwise it opens an incident, routed by the tenant's alert "
    "rules; the tenant's alert CI rules give it the CI the labels name (the most specific "
    "matching rule wins) and the alert's history row names that rule. A resolved alert "
    "annotates or resolves its incident per the alert settings. The answer (200) lists the "
    "ticket numbers per outcome."
)


def _ingest(session: SessionDep, actor: Principal, alerts: list[Alert]) -> IntakeSummary:
    done = service.ingest(session, actor, alerts=alerts)
    return IntakeSummary.model_validate(done, from_attributes=True)


@router.post(
    "/alerts/alertmanager",
    response_model=IntakeSummary,
    summary="Receive a Prometheus Alertmanager webhook",
    description=_INTAKE + " Configure it as an Alertmanager `webhook_configs` receiver with "
    "`http_config.authorization.credentials` set to the key.",
)
def alertmanager(
    body: AlertmanagerPayload, session: SessionDep, actor: Ingester, idem: IdempotencyDep
) -> Response:
    return idem.respond(
        session,
        actor,
        lambda: (_ingest(session, actor, normalize.from_alertmanager(body)), {}),
        status=200,
    )


@router.post(
    "/alerts/events",
    response_model=IntakeSummary,
    summary="Receive a monitoring event",
    description=_INTAKE,
)
def event(body: AlertEvent, session: SessionDep, actor: Ingester, idem: IdempotencyDep) -> Response:
    return idem.respond(
        session,
        actor,
        lambda: (_ingest(session, actor, normalize.from_event(body)), {}),
        status=200,
    )


def _rule(found: AlertRule, response: Response) -> RulePublic:
    response.headers["ETag"] = etag(found.version)
    return RulePublic.model_validate(found)


@router.get("/alert-rules", response_model=RuleList, summary="List alert rules")
def list_rules(session: SessionDep, actor: Manager) -> RuleList:
    return RuleList(items=[RulePublic.model_validate(r) for r in rules.list_rules(session, actor)])


@router.post("/alert-rules", response_model=RulePublic, status_code=201, summary="Add a rule")
def create_rule(
    body: RuleCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[RulePublic, dict[str, str]]:
        created = rules.create_rule(session, actor, data=body)
        headers = {
            "ETag": etag(created.version),
            "Location": f"{API_PREFIX}/alert-rules/{created.id}",
        }
        return RulePublic.model_validate(created), headers

    return idem.respond(session, actor, produce)


@router.get("/alert-rules/{ruleId}", response_model=RulePublic, summary="Get an alert rule")
def get_rule(
    rule_id: RuleId, session: SessionDep, actor: Manager, response: Response
) -> RulePublic:
    return _rule(rules.get_rule(session, actor, rule_id=rule_id), response)


@router.patch("/alert-rules/{ruleId}", response_model=RulePublic, summary="Change an alert rule")
def update_rule(
    rule_id: RuleId,
    body: RuleUpdate,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> RulePublic:
    changed = rules.update_rule(session, actor, rule_id=rule_id, changes=body, if_match=if_match)
    return _rule(changed, response)


@router.delete("/alert-rules/{ruleId}", status_code=204, summary="Remove an alert rule")
def delete_rule(
    rule_id: RuleId, session: SessionDep, actor: Manager, if_match: IfMatch = None
) -> Response:
    rules.delete_rule(session, actor, rule_id=rule_id, if_match=if_match)
    return Response(status_code=204)


def _settings(current: AlertSettings, response: Response) -> AlertSettingsPublic:
    response.headers["ETag"] = etag(current.version)
    return AlertSettingsPublic(on_resolved=current.on_resolved)


@router.get("/alert-settings", response_model=AlertSettingsPublic, summary="Alert settings")
def get_settings(session: SessionDep, actor: Manager, response: Response) -> AlertSettingsPublic:
    return _settings(rules.get_settings(session, actor), response)


@router.patch(
    "/alert-settings", response_model=AlertSettingsPublic, summary="Change alert settings"
)
def update_settings(
    body: AlertSettingsUpdate,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> AlertSettingsPublic:
    current = rules.update_settings(session, actor, changes=body, if_match=if_match)
    return _settings(current, response)


def _ci_rule(found: AlertCiRule, response: Response) -> CiRulePublic:
    response.headers["ETag"] = etag(found.version)
    return CiRulePublic.model_validate(found)


@router.get(
    "/alert-ci-rules",
    response_model=CiRuleList,
    summary="List alert CI rules",
    description="Which configuration item alerts concern, by their labels; most specific "
    "(most labels) first.",
)
def list_ci_rules(session: SessionDep, actor: Manager) -> CiRuleList:
    found = ci_rules.list_rules(session, actor)
    return CiRuleList(items=[CiRulePublic.model_validate(r) for r in found])


@router.post(
    "/alert-ci-rules",
    response_model=CiRulePublic,
    status_code=201,
    summary="Add an alert CI rule",
    description="The CI must be one of this tenant's (400 `ciId` otherwise); labels another "
    "rule already has exactly give 409.",
)
def create_ci_rule(
    body: CiRuleCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[CiRulePublic, dict[str, str]]:
        created = ci_rules.create_rule(session, actor, data=body)
        headers = {
            "ETag": etag(created.version),
            "Location": f"{API_PREFIX}/alert-ci-rules/{created.id}",
        }
        return CiRulePublic.model_validate(created), headers

    return idem.respond(session, actor, produce)


@router.get("/alert-ci-rules/{ruleId}", response_model=CiRulePublic, summary="Get an alert CI rule")
def get_ci_rule(
    rule_id: RuleId, session: SessionDep, actor: Manager, response: Response
) -> CiRulePublic:
    return _ci_rule(ci_rules.get_rule(session, actor, rule_id=rule_id), response)


@router.patch(
    "/alert-ci-rules/{ruleId}", response_model=CiRulePublic, summary="Change an alert CI rule"
)
def update_ci_rule(
    rule_id: RuleId,
    body: CiRuleUpdate,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> CiRulePublic:
    changed = ci_rules.update_rule(session, actor, rule_id=rule_id, changes=body, if_match=if_match)
    return _ci_rule(changed, response)


@router.delete("/alert-ci-rules/{ruleId}", status_code=204, summary="Remove an alert CI rule")
def delete_ci_rule(
    rule_id: RuleId, session: SessionDep, actor: Manager, if_match: IfMatch = None
) -> Response:
    ci_rules.delete_rule(session, actor, rule_id=rule_id, if_match=if_match)
    return Response(status_code=204)
