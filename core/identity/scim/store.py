"""The SCIM server's storage over Regie's tables, in the session of one request's tenant.

Users and groups keep their SCIM document as JSON beside the columns access decisions read
(object id, active, memberships). Searches load the tenant's resources of the searched types
and let scim2-server's in-memory engine filter, sort and page them, so every filter the
protocol allows behaves exactly as the library defines it.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from scim2_models import (
    EnterpriseUser,
    Group,
    InvalidValueException,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
    UniquenessException,
    User,
)
from scim2_server.memory import InMemoryStorage
from scim2_server.storage import ScimStorage, SearchPage
from sqlmodel import Session, col, select

from core.identity.scim import deprovision
from core.identity.scim.models import ScimGroup, ScimMember, ScimUser
from core.types import utcnow

UserModel = User[EnterpriseUser]
Row = ScimUser | ScimGroup


def object_id(external_id: str | None) -> uuid.UUID | None:
    """Entra's object id, when provisioning maps objectId to externalId (see README)."""
    try:
        return uuid.UUID(external_id) if external_id else None
    except ValueError:
        return None


class SqlStorage(ScimStorage):
    def __init__(self, session: Session, *, directory_id: uuid.UUID | None) -> None:
        self.session = session
        self.directory_id = directory_id

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        return self._resource(self._row(resource_type, resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        engine = InMemoryStorage()
        engine.resources = [
            self._resource(row)
            for resource_type in resource_types
            for row in self._rows(resource_type)
        ]
        return engine.search(resource_types, search_request, position=position)

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        row: Row = ScimUser(user_name="", user_name_key="")
        if _table(resource_type) is ScimGroup:
            row = ScimGroup(display_name="")
        self._write(row, resource)
        return self._resource(row)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        row = self._row(resource_type, cast(str, resource.id))
        _check_version(row, expected_version)
        row.version += 1
        row.updated_at = utcnow()
        self._write(row, resource)
        return self._resource(row)

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        row = self._row(resource_type, resource_id)
        _check_version(row, expected_version)
        column = ScimMember.user_id if isinstance(row, ScimUser) else ScimMember.group_id
        for member in self.session.exec(select(ScimMember).where(col(column) == row.id)):
            self.session.delete(member)
        self.session.flush()  # memberships first: no relationship tells the flush the order
        if isinstance(row, ScimUser):
            deprovision.end_sessions(self.session, row)
            deprovision.revoke_user_grants(self.session, row)
        self.session.delete(row)
        self.session.flush()

    def _row(self, resource_type: ResourceType, resource_id: str) -> Row:
        table = _table(resource_type)
        try:
            key = uuid.UUID(resource_id)
        except ValueError:
            key = None
        row = self.session.exec(select(table).where(table.id == key)).first() if key else None
        if row is None:
            raise NotFoundException(detail=f"{resource_type.name} {resource_id!r} not found")
        return cast(Row, row)

    def _rows(self, resource_type: ResourceType) -> list[Row]:
        return list(self.session.exec(select(_table(resource_type))))

    def _write(self, row: Row, resource: Resource[Any]) -> None:
        if isinstance(row, ScimUser):
            self._write_user(row, cast(UserModel, resource))
        else:
            self._write_group(row, cast(Group, resource))
        self.session.flush()

    def _write_user(self, row: ScimUser, user: UserModel) -> None:
        key = (user.user_name or "").lower()
        taken = select(ScimUser.id).where(ScimUser.user_name_key == key, ScimUser.id != row.id)
        if self.session.exec(taken).first() is not None:
            raise UniquenessException(detail=f"userName {user.user_name!r} is taken")
        was_active = row.active
        row.user_name, row.user_name_key = cast(str, user.user_name), key
        row.external_id = user.external_id
        row.directory_id, row.object_id = self.directory_id, object_id(user.external_id)
        row.active = user.active is not False
        # Passwords are never kept: people sign in through their own directory.
        row.document = _document(user, password=None, groups=None)
        self.session.add(row)
        if was_active and not row.active:
            deprovision.end_sessions(self.session, row)

    def _write_group(self, row: ScimGroup, group: Group) -> None:
        row.display_name = cast(str, group.display_name)
        row.external_id = group.external_id
        row.directory_id, row.object_id = self.directory_id, object_id(group.external_id)
        row.document = _document(group, members=None)
        self.session.add(row)
        self.session.flush()
        wanted = {self._member_id(m.value): m.display for m in group.members or []}
        held = self.session.exec(select(ScimMember).where(ScimMember.group_id == row.id))
        for member in held:
            if member.user_id in wanted:
                member.display = wanted.pop(member.user_id)
            else:
                self.session.delete(member)
        self.session.add_all(
            ScimMember(group_id=row.id, user_id=uid, display=display)
            for uid, display in wanted.items()
        )

    def _member_id(self, value: str | None) -> uuid.UUID:
        """Members are users provisioned in this tenant (nested groups are not supported)."""
        user_id = object_id(value)
        found = select(ScimUser.id).where(ScimUser.id == user_id) if user_id else None
        if found is None or self.session.exec(found).first() is None:
            raise InvalidValueException(detail=f"member {value!r} is not a user of this tenant")
        return cast(uuid.UUID, user_id)

    def _resource(self, row: Row) -> Resource[Any]:
        data = {**row.document, "id": str(row.id)}
        if isinstance(row, ScimGroup):
            data["members"] = self._members(row)
        model = UserModel if isinstance(row, ScimUser) else Group
        resource = model.model_validate(data)
        resource.meta = Meta(
            resource_type="User" if isinstance(row, ScimUser) else "Group",
            created=row.created_at,
            last_modified=row.updated_at,
            version=f'W/"{row.version}"',
        )
        return resource

    def _members(self, group: ScimGroup) -> list[dict[str, str]]:
        stmt = (
            select(ScimUser.id, ScimUser.user_name, ScimMember.display)
            .join(ScimMember, col(ScimMember.user_id) == col(ScimUser.id))
            .where(ScimMember.group_id == group.id)
            .order_by(col(ScimUser.user_name))
        )
        return [
            {"value": str(uid), "$ref": f"Users/{uid}", "type": "User", "display": shown or name}
            for uid, name, shown in self.session.exec(stmt)
        ]


def _table(resource_type: ResourceType) -> type[ScimUser] | type[ScimGroup]:
    if resource_type.name == "User":
        return ScimUser
    if resource_type.name == "Group":
        return ScimGroup
    raise NotFoundException(detail=f"No resources of type {resource_type.name}")


def _document(resource: Resource[Any], **cleared: None) -> dict[str, Any]:
    """The resource as JSON, without id and meta (they live in columns) and `cleared`."""
    copy = resource.model_copy(update={"id": None, "meta": None, **cleared})
    return copy.model_dump(mode="json")


def _check_version(row: Row, expected_version: str | None) -> None:
    if expected_version is not None and expected_version != f'W/"{row.version}"':
        raise PreconditionFailedException
