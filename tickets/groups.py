"""Assignment groups per line, their members, and the tenant's ticket settings."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.api.etag import check_if_match
from core.errors import Conflict
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import permissions, repository
from tickets.errors import DuplicateGroup, GroupNotFound
from tickets.models import AssignmentGroup, GroupMember, TicketSettings
from tickets.schemas import GroupCreate, MemberCreate, SettingsUpdate


def list_groups(session: Session, actor: Principal) -> list[AssignmentGroup]:
    """Every group of the tenant, by name."""
    if not actor.can(permissions.WORK):
        actor.require(permissions.READ)
    return repository.groups(session)


def create_group(session: Session, actor: Principal, *, data: GroupCreate) -> AssignmentGroup:
    """A new group on a line; names are unique within the tenant."""
    actor.require(permissions.CONFIGURE)
    if repository.group_name_taken(session, data.name):
        raise DuplicateGroup(f"A group named {data.name!r} already exists.")
    group = AssignmentGroup(**data.model_dump())
    session.add(group)
    session.flush()
    return group


def get_group(session: Session, actor: Principal, *, group_id: uuid.UUID) -> AssignmentGroup:
    """The group, or GroupNotFound (also for another tenant's)."""
    if not actor.can(permissions.WORK):
        actor.require(permissions.READ)
    group = repository.group(session, group_id)
    if group is None:
        raise GroupNotFound(f"No assignment group with id {group_id}.")
    return group


def list_members(session: Session, actor: Principal, *, group_id: uuid.UUID) -> list[GroupMember]:
    get_group(session, actor, group_id=group_id)
    return repository.members(session, group_id)


def add_member(
    session: Session, actor: Principal, *, group_id: uuid.UUID, data: MemberCreate
) -> GroupMember:
    """Put a person in the group, so tickets can be assigned to them there."""
    actor.require(permissions.CONFIGURE)
    get_group(session, actor, group_id=group_id)
    if repository.member(session, group_id, data.member_id) is not None:
        raise Conflict("This person is already a member of the group.")
    member = GroupMember(group_id=group_id, **data.model_dump())
    session.add(member)
    session.flush()
    return member


def remove_member(
    session: Session, actor: Principal, *, group_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """Take a person out of the group; tickets already assigned to them stay so."""
    actor.require(permissions.CONFIGURE)
    get_group(session, actor, group_id=group_id)
    member = repository.member(session, group_id, member_id)
    if member is None:
        raise GroupNotFound("This person is not a member of the group.")
    session.delete(member)
    session.flush()


def get_settings(session: Session, actor: Principal) -> TicketSettings:
    """The tenant's ticket settings (created with defaults on first use)."""
    if not actor.can(permissions.CONFIGURE):
        actor.require(permissions.READ)
    found = repository.settings(session, create=True)
    assert found is not None  # created just above when missing
    return found


def update_settings(
    session: Session, actor: Principal, *, changes: SettingsUpdate, if_match: str | None
) -> TicketSettings:
    """Change the prefix (new numbers only), reopen window, privacy mode or matrix."""
    actor.require(permissions.CONFIGURE)
    current = get_settings(session, actor)
    check_if_match(if_match, current.version)
    for field, value in changes.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(current, field, value)
    if session.is_modified(current):
        current.updated_at = utcnow()
        current.version += 1
        session.flush()
    return current
