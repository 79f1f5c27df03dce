"""API shapes of CI classes, CIs, relations, history and impact."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from cmdb.attributes import AttributeDefinition, check_unique_keys
from cmdb.models import CiStatus, RelationType
from core.api.pagination import Page
from core.api.schemas import ApiModel

ClassKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Description = Annotated[str, StringConstraints(max_length=4000)]
Attributes = Annotated[
    list[AttributeDefinition], Field(max_length=100), AfterValidator(check_unique_keys)
]
NaturalKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    Field(description="Unique within the class in this organisation, e.g. a host name"),
]
Values = Annotated[
    dict[Annotated[str, StringConstraints(max_length=40)], Any],
    Field(max_length=100, description="Values by attribute key, checked against the class"),
]


class ClassCreate(ApiModel):
    key: ClassKey = Field(description="Unique in the organisation; not a built-in class's key")
    name: Name
    description: Description = ""
    attributes: Attributes = []


class ClassUpdate(ApiModel):
    """Merge patch; `attributes` replaces the whole list. Existing CIs are checked against the
    new attributes at their next write."""

    name: Name | None = None
    description: Description | None = None
    attributes: Attributes | None = None


class ClassPublic(ApiModel):
    id: uuid.UUID
    key: str
    name: str
    description: str
    builtin: bool = Field(description="Defined by Regie for every organisation; not editable")
    attributes: list[AttributeDefinition]
    version: int
    created_at: datetime
    updated_at: datetime


class ClassPage(Page[ClassPublic]):
    """One page of classes by key; pass nextCursor back as `cursor` for the next."""


class CiCreate(ApiModel):
    class_id: uuid.UUID
    name: Name
    natural_key: NaturalKey
    status: CiStatus = CiStatus.active
    attributes: Values = {}
    owner: Name | None = Field(None, description="Who answers for the CI")


class CiUpdate(ApiModel):
    """Merge patch: given attributes replace their values, a null removes one; the class
    never changes."""

    name: Name | None = None
    natural_key: NaturalKey | None = None
    status: CiStatus | None = None
    attributes: Values | None = None
    owner: Name | None = None


class RelationEnd(ApiModel):
    """A relation as seen from one CI: the other end and which way it points."""

    id: uuid.UUID
    type: RelationType
    direction: str = Field(description="outgoing (this CI is the source) or incoming")
    ci_id: uuid.UUID = Field(description="The CI at the other end")
    created_at: datetime


class CiPublic(ApiModel):
    id: uuid.UUID
    class_id: uuid.UUID
    name: str
    natural_key: str
    status: CiStatus
    attributes: dict[str, Any]
    owner: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class CiDetail(CiPublic):
    """A CI with its relations, now or at the moment asked for with `at`."""

    relations: list[RelationEnd]
    at: datetime | None = Field(None, description="The moment described, when asked for one")


class CiPage(Page[CiPublic]):
    """One page of configuration items; pass nextCursor back as `cursor` for the next."""


class RelationCreate(ApiModel):
    source_id: uuid.UUID
    target_id: uuid.UUID
    type: RelationType


class RelationPublic(ApiModel):
    id: uuid.UUID
    source_id: uuid.UUID
    target_id: uuid.UUID
    type: RelationType
    created_at: datetime
    created_by: str
    created_by_name: str
    removed_at: datetime | None
    removed_by: str | None
    removed_by_name: str | None


class HistoryKind(enum.StrEnum):
    created = "created"
    updated = "updated"
    relation_added = "relation-added"
    relation_removed = "relation-removed"


class HistoryEntry(ApiModel):
    """One write: a version of the CI (with its whole state then), or a relation's change."""

    at: datetime
    kind: HistoryKind
    actor: str
    actor_name: str
    version: int | None = Field(None, description="The CI's version after a CI write")
    state: CiPublic | None = Field(None, description="The CI after a CI write")
    relation: RelationPublic | None = Field(None, description="The relation after its change")


class HistoryList(ApiModel):
    items: list[HistoryEntry]


class ImpactDirection(enum.StrEnum):
    up = "up"  # the CIs that rest on this one: what is affected when it fails
    down = "down"  # the CIs this one rests on: where a cause may lie


class AffectedCi(ApiModel):
    id: uuid.UUID
    class_id: uuid.UUID
    name: str
    status: CiStatus
    depth: int = Field(description="Relations between the CI asked about and this one")
    path: list[uuid.UUID] = Field(description="A shortest chain of CI ids, from the CI asked about")
    via: RelationType = Field(description="The type of the path's last relation")
