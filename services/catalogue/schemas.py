"""API shapes of catalogue entries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel
from services.catalogue.models import ServiceDomain, ServiceStatus

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Description = Annotated[str, StringConstraints(max_length=4000)]
Subdomain = Annotated[
    int, Field(ge=1, le=17, description="Sub-domain 1-17 of the IT service model")
]


class ServiceCreate(ApiModel):
    code: Code
    name: Name
    description: Description = ""
    domain: ServiceDomain
    subdomain: Subdomain
    ci_id: uuid.UUID | None = Field(None, description="The CI that stands for the service")


class ServiceUpdate(ApiModel):
    """Merge patch: only the given fields change."""

    name: Name | None = None
    description: Description | None = None
    domain: ServiceDomain | None = None
    subdomain: Subdomain | None = None
    status: ServiceStatus | None = None
    ci_id: uuid.UUID | None = Field(None, description="null unlinks the service's CI")


class ServicePublic(ApiModel):
    id: uuid.UUID
    code: str
    name: str
    description: str
    domain: ServiceDomain
    subdomain: int
    status: ServiceStatus
    ci_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class ServicePage(Page[ServicePublic]):
    """One page of services; pass nextCursor back as `cursor` for the next."""
