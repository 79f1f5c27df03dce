"""Assignment groups per line, their members, and the tenant's ticket settings."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.api.etag import check_if_match
from core.errors import Conflict, InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import permissions, repository
from tickets.errors import DuplicateGroup, GroupNotFound
from tickets.models import AssignmentGroup, GroupMember, TicketSettings
from tickets.schemas import GroupCreate, GroupUpdate, MemberCreate, SettingsUpdate


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


def update_group(
    session: Session,
    actor: Principal,
    *,
    group_id: uuid.UUID,
    changes: GroupUpdate,
    if_match: str | None,
) -> AssignmentGroup:
    """Rename a group, name the manager its hierarchical escalations go to, or retire it,
    only if `if_match` names the version now stored."""
    actor.require(permissions.CONFIGURE)
    group = get_group(session, actor, group_id=group_id)
    check_if_match(if_match, group.version)
    given = changes.model_dump(exclude_unset=True)
    _check_group_fields(given, group)
    if given.get("name") not in (None, group.name) and repository.group_name_taken(
        session, given["name"]
    ):
        raise DuplicateGroup(f"A group named {given['name']!r} already exists.")
    for field, value in given.items():
        setattr(group, field, value)
    if session.is_modified(group):
        group.version += 1
        session.flush()
    return group


def _check_group_fields(given: dict[str, object], group: AssignmentGroup) -> None:
    """Name and activity cannot be removed; the manager is named by id and name together."""
    problems = [
        {"name": n, "pointer": f"/{n}", "reason": "may not be null"}
        for n in ("name", "active")
        if n in given and given[n] is None
    ]
    manager = {
        "managerId": given.get("manager_id", group.manager_id),
        "managerName": given.get("manager_name", group.manager_name),
    }
    if (manager["managerId"] is None) != (manager["managerName"] is None):
        problems += [
            {"name": n, "pointer": f"/{n}", "reason": "give the manager's id and name together"}
            for n, v in manager.items()
            if v is None
        ]
    if problems:
        raise InvalidInput(
            "The group change is invalid: " + ", ".join(p["name"] for p in problems) + ".",
            invalidParams=problems,
        )


def list_members(session: Session, actor: Principal, *, group_id: uuid.UUID) -> list[GroupMember]:
    """A group's members, after checking the caller may see the group."""
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
