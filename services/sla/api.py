"""Routes of service level agreements: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.schemas import QueryAwareDateTime
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.sla import permissions, service
from services.sla.schemas import AgreementCreate, AgreementList, AgreementPublic, agreement_public

router = APIRouter(
    prefix=API_PREFIX + "/sla/agreements", tags=["service levels"], route_class=ThreadedRoute
)

Reader = Annotated[Principal, require(permissions.READ)]
Manager = Annotated[Principal, require(permissions.MANAGE)]
AgreementId = Annotated[uuid.UUID, Path(alias="agreementId")]


@router.get("", response_model=AgreementList, summary="List agreement versions")
def list_agreements(session: SessionDep, actor: Reader) -> AgreementList:
    rows = service.list_agreements(session, actor)
    return AgreementList(items=[agreement_public(r) for r in rows])


@router.post("", response_model=AgreementPublic, status_code=201, summary="Add a version")
def create_agreement(
    body: AgreementCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[AgreementPublic, dict[str, str]]:
        agreement = service.create_agreement(session, actor, data=body)
        headers = {"Location": f"{API_PREFIX}/sla/agreements/{agreement.id}"}
        return agreement_public(agreement), headers

    return idem.respond(session, actor, produce)


# Declared before /{agreementId}, so "current" is never read as an id.
@router.get("/current", response_model=AgreementPublic, summary="The version in effect")
def current_agreement(
    session: SessionDep,
    actor: Reader,
    at: Annotated[
        QueryAwareDateTime | None,
        Query(description="Moment to look at (default: now), with a zone"),
    ] = None,
) -> AgreementPublic:
    return agreement_public(service.current_agreement(session, actor, at=at))


@router.get("/{agreementId}", response_model=AgreementPublic, summary="Get a version")
def get_agreement(agreement_id: AgreementId, session: SessionDep, actor: Reader) -> AgreementPublic:
    return agreement_public(service.get_agreement(session, actor, agreement_id=agreement_id))
