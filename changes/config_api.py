"""Routes of the tenant's change set-up: templates of standard changes, approval rules and
the risk questionnaire."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from changes import config, permissions
from changes.models import ApprovalRule, ChangeTemplate
from changes.schemas import (
    ApprovalRuleCreate,
    ApprovalRuleList,
    ApprovalRulePublic,
    ApprovalRuleUpdate,
    ChangeSettingsPublic,
    ChangeSettingsUpdate,
    TemplateCreate,
    TemplateList,
    TemplatePublic,
    TemplateUpdate,
)
from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal

router = APIRouter(prefix=API_PREFIX, tags=["changes"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.CONFIGURE)]
Configurer = Annotated[Principal, require(permissions.CONFIGURE)]
TemplateId = Annotated[uuid.UUID, Path(alias="templateId")]
RuleId = Annotated[uuid.UUID, Path(alias="ruleId")]


def _template(row: ChangeTemplate) -> tuple[TemplatePublic, dict[str, str]]:
    headers = {"ETag": etag(row.version), "Location": f"{API_PREFIX}/change-templates/{row.id}"}
    return TemplatePublic.model_validate(row), headers


def _rule(row: ApprovalRule) -> tuple[ApprovalRulePublic, dict[str, str]]:
    headers = {
        "ETag": etag(row.version),
        "Location": f"{API_PREFIX}/change-approval-rules/{row.id}",
    }
    return ApprovalRulePublic.model_validate(row), headers


@router.get("/change-templates", response_model=TemplateList, summary="Standard change templates")
def list_templates(session: SessionDep, actor: Reader) -> TemplateList:
    rows = config.list_templates(session, actor)
    return TemplateList(items=[TemplatePublic.model_validate(r) for r in rows])


@router.post(
    "/change-templates",
    response_model=TemplatePublic,
    status_code=201,
    summary="Pre-approve a standard change",
)
def create_template(
    body: TemplateCreate, session: SessionDep, actor: Configurer, idem: IdempotencyDep
) -> Response:
    return idem.respond(
        session, actor, lambda: _template(config.create_template(session, actor, data=body))
    )


@router.get(
    "/change-templates/{templateId}", response_model=TemplatePublic, summary="Get a template"
)
def get_template(
    template_id: TemplateId, session: SessionDep, actor: Reader, response: Response
) -> TemplatePublic:
    row = config.get_template(session, actor, template_id=template_id)
    response.headers["ETag"] = etag(row.version)
    return TemplatePublic.model_validate(row)


@router.patch(
    "/change-templates/{templateId}", response_model=TemplatePublic, summary="Edit a template"
)
def update_template(
    template_id: TemplateId,
    body: TemplateUpdate,
    session: SessionDep,
    actor: Configurer,
    response: Response,
    if_match: IfMatch = None,
) -> TemplatePublic:
    row = config.update_template(
        session, actor, template_id=template_id, data=body, if_match=if_match
    )
    response.headers["ETag"] = etag(row.version)
    return TemplatePublic.model_validate(row)


@router.get(
    "/change-approval-rules",
    response_model=ApprovalRuleList,
    summary="Who approves which changes",
    description="Where no rule is set, a normal change is approved by the product owner and "
    "the change manager (high risk adds the service owner), an emergency by the change "
    "manager (high risk adds the product owner).",
)
def list_rules(session: SessionDep, actor: Reader) -> ApprovalRuleList:
    return ApprovalRuleList(
        items=[ApprovalRulePublic.model_validate(r) for r in config.list_rules(session, actor)]
    )


@router.post(
    "/change-approval-rules",
    response_model=ApprovalRulePublic,
    status_code=201,
    summary="Set who approves changes of a type and risk class",
)
def create_rule(
    body: ApprovalRuleCreate, session: SessionDep, actor: Configurer, idem: IdempotencyDep
) -> Response:
    return idem.respond(
        session, actor, lambda: _rule(config.create_rule(session, actor, data=body))
    )


@router.get(
    "/change-approval-rules/{ruleId}",
    response_model=ApprovalRulePublic,
    summary="Get an approval rule",
)
def get_rule(
    rule_id: RuleId, session: SessionDep, actor: Reader, response: Response
) -> ApprovalRulePublic:
    row = config.get_rule(session, actor, rule_id=rule_id)
    response.headers["ETag"] = etag(row.version)
    return ApprovalRulePublic.model_validate(row)


@router.patch(
    "/change-approval-rules/{ruleId}",
    response_model=ApprovalRulePublic,
    summary="Change an approval rule",
)
def update_rule(
    rule_id: RuleId,
    body: ApprovalRuleUpdate,
    session: SessionDep,
    actor: Configurer,
    response: Response,
    if_match: IfMatch = None,
) -> ApprovalRulePublic:
    row = config.update_rule(session, actor, rule_id=rule_id, data=body, if_match=if_match)
    response.headers["ETag"] = etag(row.version)
    return ApprovalRulePublic.model_validate(row)


@router.get(
    "/change-settings", response_model=ChangeSettingsPublic, summary="The risk questionnaire"
)
def get_settings(session: SessionDep, actor: Reader, response: Response) -> ChangeSettingsPublic:
    row = config.read_settings(session, actor)
    response.headers["ETag"] = etag(row.version)
    return ChangeSettingsPublic.model_validate(row)


@router.patch(
    "/change-settings", response_model=ChangeSettingsPublic, summary="Change the risk questionnaire"
)
def update_settings(
    body: ChangeSettingsUpdate,
    session: SessionDep,
    actor: Configurer,
    response: Response,
    if_match: IfMatch = None,
) -> ChangeSettingsPublic:
    row = config.update_settings(session, actor, data=body, if_match=if_match)
    response.headers["ETag"] = etag(row.version)
    return ChangeSettingsPublic.model_validate(row)
