"""Routes for grants of roles and for API keys, within the caller's tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import PlainTextResponse

from core.api.deps import SessionDep, require
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.schemas import QueryBool
from core.api.threads import ThreadedRoute
from core.identity import grants, reviews, service, sessions
from core.identity.models import AccessReview, ReviewDecision
from core.identity.permissions import Principal
from core.identity.schemas import (
    AccessReviewCreate,
    AccessReviewDetail,
    AccessReviewItemPublic,
    AccessReviewPage,
    AccessReviewPublic,
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyPage,
    ApiKeyPublic,
    DecisionCreate,
    GrantCreate,
    GrantPage,
    GrantPublic,
    WebSessionPage,
    WebSessionPublic,
)

router = APIRouter(prefix=API_PREFIX + "/grants", tags=["access"], route_class=ThreadedRoute)
Manager = Annotated[Principal, require(grants.MANAGE)]
GrantId = Annotated[uuid.UUID, Path(alias="grantId")]


@router.get("", response_model=GrantPage, summary="List the grants of this tenant")
def list_grants(
    session: SessionDep,
    actor: Manager,
    include_revoked: Annotated[QueryBool, Query(alias="includeRevoked")] = False,
) -> GrantPage:
    rows = grants.list_grants(session, actor, include_revoked=include_revoked)
    return GrantPage(items=[GrantPublic.model_validate(g) for g in rows])


@router.post("", response_model=GrantPublic, status_code=201, summary="Grant a role")
def create_grant(
    body: GrantCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[GrantPublic, dict[str, str]]:
        grant = grants.create_grant(session, actor, **body.model_dump())
        return GrantPublic.model_validate(grant), {"Location": f"{router.prefix}/{grant.id}"}

    return idem.respond(session, actor, produce)


@router.delete("/{grantId}", response_model=GrantPublic, summary="Revoke a grant, at once")
def revoke_grant(grant_id: GrantId, session: SessionDep, actor: Manager) -> GrantPublic:
    return GrantPublic.model_validate(grants.revoke_grant(session, actor, grant_id=grant_id))


keys_router = APIRouter(prefix=API_PREFIX + "/api-keys", tags=["access"], route_class=ThreadedRoute)
KeyManager = Annotated[Principal, require(service.MANAGE_KEYS)]
ApiKeyId = Annotated[uuid.UUID, Path(alias="apiKeyId")]


@keys_router.get("", response_model=ApiKeyPage, summary="List API keys, with last use")
def list_api_keys(session: SessionDep, actor: KeyManager) -> ApiKeyPage:
    rows = service.list_api_keys(session, actor)
    return ApiKeyPage(items=[ApiKeyPublic.model_validate(k) for k in rows])


@keys_router.post("", response_model=ApiKeyIssued, status_code=201, summary="Issue an API key")
def issue_api_key(
    body: ApiKeyCreate, session: SessionDep, actor: KeyManager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ApiKeyIssued, dict[str, str]]:
        key, token = service.issue_api_key(session, actor, **body.model_dump())
        issued = ApiKeyIssued.model_validate(
            {**ApiKeyPublic.model_validate(key).model_dump(), "token": token}
        )
        return issued, {"Location": f"{keys_router.prefix}/{key.id}"}

    return idem.respond(session, actor, produce)


@keys_router.delete("/{apiKeyId}", response_model=ApiKeyPublic, summary="Revoke an API key")
def revoke_api_key(key_id: ApiKeyId, session: SessionDep, actor: KeyManager) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(service.revoke_api_key(session, actor, key_id=key_id))


sessions_router = APIRouter(
    prefix=API_PREFIX + "/sessions", tags=["access"], route_class=ThreadedRoute
)
SessionManager = Annotated[Principal, require(sessions.MANAGE)]
SessionId = Annotated[uuid.UUID, Path(alias="sessionId")]


@sessions_router.get("", response_model=WebSessionPage, summary="Live web sessions of a user")
def list_sessions(
    session: SessionDep,
    actor: SessionManager,
    user_oid: Annotated[uuid.UUID, Query(alias="userOid")],
    user_tid: Annotated[uuid.UUID | None, Query(alias="userTid")] = None,
) -> WebSessionPage:
    rows = sessions.list_user_sessions(session, actor, tid=user_tid, oid=user_oid)
    return WebSessionPage(items=[WebSessionPublic.model_validate(w) for w in rows])


@sessions_router.delete("/{sessionId}", response_model=WebSessionPublic, summary="End a session")
def end_session(
    session_id: SessionId, session: SessionDep, actor: SessionManager
) -> WebSessionPublic:
    ended = sessions.end_as_admin(session, actor, session_id=session_id)
    return WebSessionPublic.model_validate(ended)


reviews_router = APIRouter(
    prefix=API_PREFIX + "/access-reviews", tags=["access"], route_class=ThreadedRoute
)
ReviewManager = Annotated[Principal, require(reviews.MANAGE)]
Reviewer = Annotated[Principal, require(reviews.DECIDE)]
ReviewId = Annotated[uuid.UUID, Path(alias="reviewId")]
ItemId = Annotated[uuid.UUID, Path(alias="itemId")]


def _review_out(review: AccessReview) -> AccessReviewPublic:
    out = AccessReviewPublic.model_validate(review)
    out.overdue = reviews.is_overdue(review)
    return out


@reviews_router.get("", response_model=AccessReviewPage, summary="List access reviews")
def list_reviews(session: SessionDep, actor: ReviewManager) -> AccessReviewPage:
    return AccessReviewPage(items=[_review_out(r) for r in reviews.list_reviews(session, actor)])


@reviews_router.post(
    "",
    response_model=AccessReviewPublic,
    status_code=201,
    summary="Start an access review of every grant",
)
def start_review(
    body: AccessReviewCreate, session: SessionDep, actor: ReviewManager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[AccessReviewPublic, dict[str, str]]:
        review = reviews.start_review(session, actor, **body.model_dump())
        return _review_out(review), {"Location": f"{reviews_router.prefix}/{review.id}"}

    return idem.respond(session, actor, produce)


@reviews_router.get(
    "/{reviewId}",
    response_model=AccessReviewDetail,
    summary="An access review with every grant in it",
)
def get_review(review_id: ReviewId, session: SessionDep, actor: Reviewer) -> AccessReviewDetail:
    review, items = reviews.get_review(session, actor, review_id=review_id)
    return AccessReviewDetail(
        **_review_out(review).model_dump(),
        items=[AccessReviewItemPublic.model_validate(i) for i in items],
    )


@reviews_router.post(
    "/{reviewId}/items/{itemId}/decision",
    response_model=AccessReviewItemPublic,
    summary="Confirm or revoke one grant (the named reviewer only)",
)
def decide(
    review_id: ReviewId,
    item_id: ItemId,
    body: DecisionCreate,
    session: SessionDep,
    actor: Reviewer,
) -> AccessReviewItemPublic:
    item = reviews.decide(
        session,
        actor,
        review_id=review_id,
        item_id=item_id,
        decision=ReviewDecision(body.decision),
        note=body.note,
    )
    return AccessReviewItemPublic.model_validate(item)


@reviews_router.get(
    "/{reviewId}/export",
    summary="The review's results as CSV",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_review(review_id: ReviewId, session: SessionDep, actor: ReviewManager) -> Response:
    review, items = reviews.get_review(session, actor, review_id=review_id)
    return Response(
        reviews.export_csv(review, items),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="access-review-{review.id}.csv"'},
    )
