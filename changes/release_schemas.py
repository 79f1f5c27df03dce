"""API shapes of releases, their deployments and rollbacks per environment, and sign-offs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from changes.models import DeploymentKind, DeploymentResult, Environment
from changes.schemas import Link, Short, Text, Title
from core.api.pagination import Page
from core.api.schemas import ApiModel

VersionText = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=60, strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
    ),
]
CHANGES = "The changes it bundles, of this organisation; none rejected or cancelled"


class ReleaseCreate(ApiModel):
    title: Title
    description: Text | None = None
    release_version: VersionText = Field(description="e.g. 4.3.0")
    change_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100, description=CHANGES)


class ReleaseUpdate(ApiModel):
    """Merge patch; a new releaseVersion starts its own way through the lane."""

    title: Title | None = None
    description: Text | None = None
    release_version: VersionText | None = None
    change_ids: list[uuid.UUID] | None = Field(None, max_length=100, description=CHANGES)


class EnvironmentState(ApiModel):
    """What runs in one environment now, by the last succeeded deployment or rollback."""

    environment: Environment
    release_version: str | None = Field(description="null while nothing was deployed")
    last_result: DeploymentResult | None = Field(description="Of the last record, also failed")
    last_at: datetime | None


class ReleasePublic(ApiModel):
    id: uuid.UUID
    number: str
    title: str
    description: str | None
    release_version: str
    change_ids: list[uuid.UUID]
    environments: list[EnvironmentState] = Field(description="Development to production")
    signed_off: bool = Field(description="The client accepted releaseVersion for production")
    created_by: str
    created_by_name: str
    version: int
    created_at: datetime
    updated_at: datetime


class ReleasePage(Page[ReleasePublic]):
    pass


class DeploymentCreate(ApiModel):
    """A deployment that ran. Each environment after development takes a version only once
    it succeeded in the one before; production also needs the client's sign-off of it and
    every bundled change approved or further."""

    environment: Environment
    release_version: VersionText | None = Field(None, description="Default: the release's")
    result: DeploymentResult
    at: AwareDatetime | None = Field(None, description="When it ran; default now")
    log_url: Link | None = Field(None, description="The deployment log")
    notes: Short | None = None


class ReleaseRollbackCreate(ApiModel):
    """An environment returned to an earlier version."""

    environment: Environment
    returned_to_version: VersionText = Field(description="The version running again")
    result: DeploymentResult = DeploymentResult.succeeded
    at: AwareDatetime | None = Field(None, description="When it ran; default now")
    log_url: Link | None = None
    notes: Short = Field(description="Why it was rolled back")


class DeploymentPublic(ApiModel):
    id: uuid.UUID
    release_id: uuid.UUID
    kind: DeploymentKind
    environment: Environment
    release_version: str = Field(description="Deployed, or for a rollback the one returned to")
    replaced_version: str | None = Field(description="For a rollback: the version it replaced")
    result: DeploymentResult
    at: datetime
    log_url: str | None
    notes: str | None
    recorded_by: str
    recorded_by_name: str
    recorded_at: datetime


class DeploymentList(ApiModel):
    items: list[DeploymentPublic]


class SignOffCreate(ApiModel):
    release_version: VersionText | None = Field(None, description="Default: the release's")
    note: Short | None = None


class SignOffPublic(ApiModel):
    id: uuid.UUID
    release_id: uuid.UUID
    release_version: str
    signed_by: str
    signed_by_name: str
    role: str
    note: str | None
    at: datetime


class SignOffList(ApiModel):
    items: list[SignOffPublic]
