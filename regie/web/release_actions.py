"""The steps of a release taken from its page: a deployment to an environment, a rollback
there, and the client's sign-off of a version. Each is the releases API's service call, on
the version of the release the page showed (the API's If-Match)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from changes import releases
from changes.errors import DeploymentRefused
from changes.release_schemas import DeploymentCreate, ReleaseRollbackCreate, SignOffCreate
from core.errors import Conflict
from core.identity import sessions
from regie.web.releases import flat, release_id_of, service_errors, show_release
from regie.web.ticket_forms import Errors, _text, validated
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, Words, step

STALE = (
    "Someone else changed this release after you opened it. Nothing was recorded: "
    "check the lane, then try again."
)
REFUSED = "The lane refuses this step. Nothing was recorded, because:"
NOT_POSSIBLE = "This step is not possible for the release as it is now."
NOT_ALLOWED = "You may not take this step on this release."
router = APIRouter(include_in_schema=False, route_class=WebRoute)
Parse = Callable[[Mapping[str, str]], tuple[Any, Errors]]
Run = Callable[[Session, Caller, uuid.UUID, Any, str], Any]


def deployment(form: Mapping[str, str]) -> tuple[DeploymentCreate | None, Errors]:
    """A deployment that ran: where, which version, its result and the log."""
    names = ("environment", "releaseVersion", "result", "logUrl", "notes")
    found, errors = validated(DeploymentCreate, {n: _text(form, n) for n in names})
    return found, flat(errors)


def rollback(form: Mapping[str, str]) -> tuple[ReleaseRollbackCreate | None, Errors]:
    """An environment returned to an earlier version, and why."""
    names = ("environment", "returnedToVersion", "result", "logUrl", "notes")
    found, errors = validated(ReleaseRollbackCreate, {n: _text(form, n) for n in names})
    return found, flat(errors)


def sign_off(form: Mapping[str, str]) -> tuple[SignOffCreate | None, Errors]:
    """The client's acceptance of a version, with an optional note."""
    found, errors = validated(
        SignOffCreate, {n: _text(form, n) for n in ("releaseVersion", "note")}
    )
    return found, flat(errors)


@router.post("/releases/{release_id}/deployments")
def deploy(request: Request, caller: CallerDep, release_id: str, form: FormDep) -> Response:
    """Record a deployment, where the lane allows it; else the page says why not."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return releases.deploy(
            session, who.principal, release_id=found, data=data, if_match=if_match
        )

    return _step(request, caller, release_id, form, "deploy_form", deployment, run)


@router.post("/releases/{release_id}/rollbacks")
def roll_back(request: Request, caller: CallerDep, release_id: str, form: FormDep) -> Response:
    """Record that an environment returned to an earlier version."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return releases.roll_back(
            session, who.principal, release_id=found, data=data, if_match=if_match
        )

    return _step(request, caller, release_id, form, "rollback_form", rollback, run)


@router.post("/releases/{release_id}/sign-offs")
def sign(request: Request, caller: CallerDep, release_id: str, form: FormDep) -> Response:
    """The client's product owner accepts a version for production."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return releases.sign_off(
            session, who.principal, release_id=found, data=data, if_match=if_match
        )

    return _step(request, caller, release_id, form, "sign_form", sign_off, run)


WORDS = Words(NOT_POSSIBLE, STALE, NOT_ALLOWED)


def _step(
    request: Request,
    caller: Caller,
    release_id: str,
    form: dict[str, str],
    form_name: str,
    parse: Parse,
    run: Run,
) -> Response:
    """Take one step on the version the form was rendered from; else the page again with
    what went wrong, and nothing recorded."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = release_id_of(release_id)

    def call(session: Session, data: Any, if_match: str) -> Any:
        return run(session, caller, found, data, if_match)

    page = (found, f"/releases/{found}", show_release)
    how = {"errors_of": service_errors, "refusal": _lane_refusal}
    return step(request, caller, page, form, form_name, parse, call, WORDS, **how)


def _lane_refusal(exc: Conflict) -> dict[str, Any] | None:
    """The lane's own refusal names its reasons and the changes that hold it back."""
    if not isinstance(exc, DeploymentRefused):
        return None
    return {
        "message": REFUSED,
        "detail": exc.detail,
        "reasons": list(exc.extra.get("reasons", [])),
        "behind": list(exc.extra.get("changes", [])),
    }
