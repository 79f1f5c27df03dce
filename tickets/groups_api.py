"""Routes of assignment groups, their members, and the tenant's ticket settings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from tickets import groups, permissions
from tickets.lifecycle import DEFAULT_MATRIX
from tickets.models import AssignmentGroup, TicketSettings
from tickets.schemas import (
    GroupCreate,
    GroupList,
    GroupPublic,
    GroupUpdate,
    MemberCreate,
    MemberList,
    MemberPublic,
    SettingsPublic,
    SettingsUpdate,
)

router = APIRouter(prefix=API_PREFIX, tags=["assignment groups"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.WORK)]
Configurer = Annotated[Principal, require(permissions.CONFIGURE)]
SettingsReader = Annotated[Principal, require_any(permissions.READ, permissions.CONFIGURE)]
GroupId = Annotated[uuid.UUID, Path(alias="groupId")]
MemberId = Annotated[uuid.UUID, Path(alias="memberId")]


@router.get("/assignment-groups", response_model=GroupList, summary="List assignment groups")
def list_groups(session: SessionDep, actor: Reader) -> GroupList:
    rows = groups.list_groups(session, actor)
    return GroupList(items=[GroupPublic.model_validate(g) for g in rows])


@router.post(
    "/assignment-groups", response_model=GroupPublic, status_code=201, summary="Add a group"
)
def create_group(
    body: GroupCreate, session: SessionDep, actor: Configurer, response: Response
) -> GroupPublic:
    group = groups.create_group(session, actor, data=body)
    response.headers["Location"] = f"{API_PREFIX}/assignment-groups/{group.id}"
    return _group(group, response)


@router.get("/assignment-groups/{groupId}", response_model=GroupPublic, summary="Get a group")
def get_group(
    group_id: GroupId, session: SessionDep, actor: Reader, response: Response
) -> GroupPublic:
    return _group(groups.get_group(session, actor, group_id=group_id), response)


@router.patch("/assignment-groups/{groupId}", response_model=GroupPublic, summary="Change a group")
def update_group(
    group_id: GroupId,
    body: GroupUpdate,
    session: SessionDep,
    actor: Configurer,
    response: Response,
    if_match: IfMatch = None,
) -> GroupPublic:
    group = groups.update_group(session, actor, group_id=group_id, changes=body, if_match=if_match)
    return _group(group, response)


def _group(group: AssignmentGroup, response: Response) -> GroupPublic:
    response.headers["ETag"] = etag(group.version)
    return GroupPublic.model_validate(group)


@router.get(
    "/assignment-groups/{groupId}/members", response_model=MemberList, summary="List members"
)
def list_members(group_id: GroupId, session: SessionDep, actor: Reader) -> MemberList:
    rows = groups.list_members(session, actor, group_id=group_id)
    return MemberList(items=[MemberPublic.model_validate(m) for m in rows])


@router.post(
    "/assignment-groups/{groupId}/members",
    response_model=MemberPublic,
    status_code=201,
    summary="Add a member",
)
def add_member(
    group_id: GroupId, body: MemberCreate, session: SessionDep, actor: Configurer
) -> MemberPublic:
    member = groups.add_member(session, actor, group_id=group_id, data=body)
    return MemberPublic.model_validate(member)


@router.delete(
    "/assignment-groups/{groupId}/members/{memberId}", status_code=204, summary="Remove a member"
)
def remove_member(
    group_id: GroupId, member_id: MemberId, session: SessionDep, actor: Configurer
) -> Response:
    groups.remove_member(session, actor, group_id=group_id, member_id=member_id)
    return Response(status_code=204)


@router.get("/ticket-settings", response_model=SettingsPublic, summary="Ticket settings")
def get_settings(session: SessionDep, actor: SettingsReader, response: Response) -> SettingsPublic:
    return _settings(groups.get_settings(session, actor), response)


@router.patch("/ticket-settings", response_model=SettingsPublic, summary="Change ticket settings")
def update_settings(
    body: SettingsUpdate,
    session: SessionDep,
    actor: Configurer,
    response: Response,
    if_match: IfMatch = None,
) -> SettingsPublic:
    current = groups.update_settings(session, actor, changes=body, if_match=if_match)
    return _settings(current, response)


def _settings(current: TicketSettings, response: Response) -> SettingsPublic:
    """The effective matrix: the tenant's own pairs over the default."""
    response.headers["ETag"] = etag(current.version)
    matrix = {**DEFAULT_MATRIX, **current.priority_matrix}
    return SettingsPublic(
        prefix=current.prefix,
        reopen_days=current.reopen_days,
        privacy_mode=current.privacy_mode,
        priority_matrix=matrix,
    )
