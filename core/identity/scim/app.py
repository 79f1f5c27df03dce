"""SCIM 2.0 at /scim/v2: scim2-server's ASGI application over Regie's tables.

Each request authenticates with a tenant's SCIM secret and runs in one unit of work in that
tenant: committed when the answer is a success, rolled back otherwise. Errors are SCIM error
responses (RFC 7644 §3.12), not problem documents.
"""

from __future__ import annotations

import secrets
import uuid
from contextvars import ContextVar
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    External,
    Filter,
    Group,
    Patch,
    Reference,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimPolicy,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    UnauthorizedException,
    User,
)
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.storage import AsyncScimStorage, SearchPage
from starlette.concurrency import run_in_threadpool

from core.context import Actor
from core.db import finish, new_session
from core.errors import Unauthenticated
from core.identity.scim import credentials
from core.identity.scim.store import SqlStorage
from core.tenancy import current_tenant

MAX_RESULTS = 200
# Entra removes a group member as {"op": "Remove", "path": "members", "value": [{"value": id}]}:
# the value names the entries to remove, alongside the RFC's `members[value eq "id"]` path.
POLICY = ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply)
_storage: ContextVar[SqlStorage] = ContextVar("scim_storage")

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="Bearer token",
    description="A SCIM secret issued at POST /api/v1/scim-tokens",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
)
CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=False),
    authentication_schemes=[BEARER],
)


def provider() -> ScimProvider:
    """The SCIM service description Entra reads before it provisions."""
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(User[EnterpriseUser]),
            ResourceType.from_resource(Group),
        ],
        config=CONFIG,
        policy=POLICY,
    )


class RequestStorage(AsyncScimStorage):
    """Runs the SQL storage of the current request in a worker thread."""

    async def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Any:
        return await run_in_threadpool(_storage.get().get, resource_type, resource_id)

    async def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        store = _storage.get()
        return await run_in_threadpool(
            store.search, resource_types, search_request, position=position
        )

    async def create(self, resource_type: ResourceType, resource: Any) -> Any:
        return await run_in_threadpool(_storage.get().create, resource_type, resource)

    async def update(
        self, resource_type: ResourceType, resource: Any, *, expected_version: str | None = None
    ) -> Any:
        store = _storage.get()
        return await run_in_threadpool(
            store.update, resource_type, resource, expected_version=expected_version
        )

    async def delete(
        self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None
    ) -> None:
        store = _storage.get()
        await run_in_threadpool(
            store.delete, resource_type, resource_id, expected_version=expected_version
        )


class Service(ScimService):
    def patch_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        """200 with the resource, as RFC 7644 section 3.5.2 prefers, rather than a bare 204."""
        return self.resource_response(
            self.publish(base_url, resource),
            Context.RESOURCE_REPLACEMENT_RESPONSE,
            response_parameters,
        )


class ScimApp(ASGIApplication):
    def __init__(self) -> None:
        scim = provider()
        # No cursors are declared, so the service's secret signs nothing that must outlive us.
        super().__init__(RequestStorage(), scim, Service(scim, secret=secrets.token_bytes(32)))

    async def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        if not self.needs_auth(request):
            return await self.handler.handle(request)
        tenant_id, credential_id, directory_id = await run_in_threadpool(_authenticate, request)
        current_tenant.set(tenant_id)
        session = new_session(tenant_id)
        session.info["actor"] = Actor(kind="scim", id=str(credential_id))
        _storage.set(SqlStorage(session, directory_id=directory_id))
        try:
            response = await self.handler.handle(request)
        except BaseException:
            await run_in_threadpool(finish, session, ok=False)
            raise
        await run_in_threadpool(finish, session, ok=int(response.status) < 400)
        return response


def _authenticate(request: ScimRequest) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]:
    scheme, _, token = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise UnauthorizedException(detail="Send a SCIM token as a bearer token.")
    try:
        tenant, credential_id = credentials.authenticate(token.strip())
    except Unauthenticated as exc:
        raise UnauthorizedException(detail=exc.detail) from None
    return tenant.id, credential_id, tenant.entra_tenant_id
