"""Routes for the secrets a tenant's directory provisions users and groups with."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from core.identity.scim import credentials
from core.identity.scim.schemas import (
    ScimTokenCreate,
    ScimTokenIssued,
    ScimTokenPage,
    ScimTokenPublic,
)

router = APIRouter(prefix=API_PREFIX + "/scim-tokens", tags=["access"], route_class=ThreadedRoute)
Manager = Annotated[Principal, require(credentials.MANAGE)]
TokenId = Annotated[uuid.UUID, Path(alias="scimTokenId")]


@router.get("", response_model=ScimTokenPage, summary="List SCIM secrets, with last use")
def list_scim_tokens(session: SessionDep, actor: Manager) -> ScimTokenPage:
    rows = credentials.list_credentials(session, actor)
    return ScimTokenPage(items=[ScimTokenPublic.model_validate(c) for c in rows])


@router.post("", response_model=ScimTokenIssued, status_code=201, summary="Issue a SCIM secret")
def issue_scim_token(
    body: ScimTokenCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ScimTokenIssued, dict[str, str]]:
        credential, token = credentials.issue(session, actor, name=body.name)
        issued = ScimTokenIssued.model_validate(
            {**ScimTokenPublic.model_validate(credential).model_dump(), "token": token}
        )
        return issued, {"Location": f"{router.prefix}/{credential.id}"}

    return idem.respond(session, actor, produce)


@router.delete(
    "/{scimTokenId}", response_model=ScimTokenPublic, summary="Revoke a SCIM secret, at once"
)
def revoke_scim_token(token_id: TokenId, session: SessionDep, actor: Manager) -> ScimTokenPublic:
    revoked = credentials.revoke(session, actor, credential_id=token_id)
    return ScimTokenPublic.model_validate(revoked)
