"""Routes of releases and their DTAP lane: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlmodel import Session

from changes import permissions, releases
from changes.models import Release
from changes.release_schemas import (
    DeploymentCreate,
    DeploymentList,
    DeploymentPublic,
    ReleaseCreate,
    ReleasePage,
    ReleasePublic,
    ReleaseRollbackCreate,
    ReleaseUpdate,
    SignOffCreate,
    SignOffList,
    SignOffPublic,
)
from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal

router = APIRouter(prefix=API_PREFIX, tags=["changes"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(*releases.READ_ANY)]
Releaser = Annotated[Principal, require(permissions.RELEASE)]
Client = Annotated[Principal, require(permissions.SIGN_OFF)]
ReleaseId = Annotated[uuid.UUID, Path(alias="releaseId")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]
LANE = (
    "A version enters development freely; test, acceptance and production each take it only "
    "after its latest deployment to the environment before succeeded (409 otherwise). "
)


def _location(release: Release) -> str:
    return f"{API_PREFIX}/releases/{release.id}"


def _answer(session: Session, release: Release, response: Response) -> ReleasePublic:
    response.headers["ETag"] = etag(release.version)
    return releases.public(session, release)


@router.get("/releases", response_model=ReleasePage, summary="List releases, newest first")
def list_releases(
    session: SessionDep, actor: Reader, limit: Limit = 50, cursor: Cursor = None
) -> ReleasePage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = releases.list_releases(session, actor, limit=limit, after=after)
    return ReleasePage(
        items=[releases.public(session, r) for r in rows],
        nextCursor=encode_cursor(last) if last else None,
    )


@router.post("/releases", response_model=ReleasePublic, status_code=201, summary="Plan a release")
def create_release(
    body: ReleaseCreate, session: SessionDep, actor: Releaser, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ReleasePublic, dict[str, str]]:
        release = releases.create_release(session, actor, data=body)
        headers = {"ETag": etag(release.version), "Location": _location(release)}
        return releases.public(session, release), headers

    return idem.respond(session, actor, produce)


@router.get("/releases/{releaseId}", response_model=ReleasePublic, summary="Get a release")
def get_release(
    release_id: ReleaseId, session: SessionDep, actor: Reader, response: Response
) -> ReleasePublic:
    release = releases.get_release(session, actor, release_id=release_id)
    return _answer(session, release, response)


@router.patch("/releases/{releaseId}", response_model=ReleasePublic, summary="Edit a release")
def update_release(
    release_id: ReleaseId,
    body: ReleaseUpdate,
    session: SessionDep,
    actor: Releaser,
    response: Response,
    if_match: IfMatch = None,
) -> ReleasePublic:
    release = releases.update_release(
        session, actor, release_id=release_id, data=body, if_match=if_match
    )
    return _answer(session, release, response)


@router.get(
    "/releases/{releaseId}/deployments",
    response_model=DeploymentList,
    summary="A release's deployments and rollbacks",
)
def list_deployments(release_id: ReleaseId, session: SessionDep, actor: Reader) -> DeploymentList:
    rows = releases.deployments(session, actor, release_id=release_id)
    return DeploymentList(items=[DeploymentPublic.model_validate(r) for r in rows])


@router.post(
    "/releases/{releaseId}/deployments",
    response_model=DeploymentPublic,
    status_code=201,
    summary="Record a deployment to an environment",
    description=LANE + "Production also needs the client's sign-off of the version and every "
    "bundled change approved, scheduled, implementing or implemented. Send If-Match with the "
    "release's ETag.",
)
def deploy(
    release_id: ReleaseId,
    body: DeploymentCreate,
    session: SessionDep,
    actor: Releaser,
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Response:
    def produce() -> tuple[DeploymentPublic, dict[str, str]]:
        row = releases.deploy(session, actor, release_id=release_id, data=body, if_match=if_match)
        headers = _deployment_headers(session, actor, row.release_id)
        return DeploymentPublic.model_validate(row), headers

    return idem.respond(session, actor, produce)


def _deployment_headers(
    session: Session, actor: Principal, release_id: uuid.UUID
) -> dict[str, str]:
    """The release's new ETag, for the next step on the lane."""
    release = releases.get_release(session, actor, release_id=release_id)
    location = f"{API_PREFIX}/releases/{release_id}/deployments"
    return {"Location": location, "ETag": etag(release.version)}


@router.post(
    "/releases/{releaseId}/rollbacks",
    response_model=DeploymentPublic,
    status_code=201,
    summary="Record that an environment returned to an earlier version",
    description="Send If-Match with the release's ETag.",
)
def roll_back(
    release_id: ReleaseId,
    body: ReleaseRollbackCreate,
    session: SessionDep,
    actor: Releaser,
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Response:
    def produce() -> tuple[DeploymentPublic, dict[str, str]]:
        row = releases.roll_back(
            session, actor, release_id=release_id, data=body, if_match=if_match
        )
        headers = _deployment_headers(session, actor, row.release_id)
        return DeploymentPublic.model_validate(row), headers

    return idem.respond(session, actor, produce)


@router.get(
    "/releases/{releaseId}/sign-offs",
    response_model=SignOffList,
    summary="The client's acceptance sign-offs",
)
def list_sign_offs(release_id: ReleaseId, session: SessionDep, actor: Reader) -> SignOffList:
    rows = releases.sign_offs(session, actor, release_id=release_id)
    return SignOffList(items=[SignOffPublic.model_validate(r) for r in rows])


@router.post(
    "/releases/{releaseId}/sign-offs",
    response_model=SignOffPublic,
    status_code=201,
    summary="Accept a version for production, as the client's product owner",
    description="Once per version, after it succeeded in acceptance; only the client's product "
    "owner signed in through the client's own directory (403 for anyone else). Send If-Match "
    "with the release's ETag.",
)
def sign_off(
    release_id: ReleaseId,
    body: SignOffCreate,
    session: SessionDep,
    actor: Client,
    idem: IdempotencyDep,
    if_match: IfMatch = None,
) -> Response:
    def produce() -> tuple[SignOffPublic, dict[str, str]]:
        row = releases.sign_off(session, actor, release_id=release_id, data=body, if_match=if_match)
        headers = {"Location": f"{API_PREFIX}/releases/{release_id}/sign-offs"}
        return SignOffPublic.model_validate(row), headers

    return idem.respond(session, actor, produce)
