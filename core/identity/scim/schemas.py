"""API shapes of SCIM provisioning secrets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel


class ScimTokenCreate(ApiModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ScimTokenPublic(ApiModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ScimTokenIssued(ScimTokenPublic):
    token: str = Field(description="The secret for Entra provisioning; shown only once")


class ScimTokenPage(Page[ScimTokenPublic]):
    """The SCIM secrets of this tenant, oldest first."""
