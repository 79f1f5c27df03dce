"""The release pages: the tenant's releases, the form to plan one, and one release with its
DTAP lane (what runs in development, test, acceptance and production, each deployment and
rollback) and the forms to record the next step or, for the client, the sign-off.

Every read and write is the releases API's service call under the signed-in person's
principal, so the pages show and do exactly what the API would allow them.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from changes import permissions, releases, repository, service
from changes.errors import ReleaseNotFound
from changes.models import ChangeStatus, DeploymentKind, DeploymentResult, Environment, Release
from changes.release_schemas import ReleaseCreate
from changes.repository import Filters
from core.api.pagination import decode_cursor, encode_cursor
from core.db import unit_of_work
from core.errors import InvalidInput
from core.identity import sessions
from regie.web import link, render
from regie.web.changes import STATUS_NAMES
from regie.web.ticket_forms import NOT_VALID, Errors, _text, validated
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, writing

PAGE_SIZE = 25
CHOICES = 200  # changes offered on the form
ENVIRONMENT_NAMES = {
    Environment.development: "Development",
    Environment.test: "Test",
    Environment.acceptance: "Acceptance",
    Environment.production: "Production",
}
RESULT_NAMES = {DeploymentResult.succeeded: "Succeeded", DeploymentResult.failed: "Failed"}
RESULT_ICONS = {DeploymentResult.succeeded: "✔", DeploymentResult.failed: "✘"}
KIND_NAMES = {DeploymentKind.deployment: "Deployment", DeploymentKind.rollback: "Rollback"}
# Why the lane refused a step, in words the page translates.
REASON_NAMES = {
    "development-not-succeeded": "This version has not succeeded in development yet.",
    "test-not-succeeded": "This version has not succeeded in test yet.",
    "acceptance-not-succeeded": "This version has not succeeded in acceptance yet.",
    "not-signed-off": "The client's product owner has not signed off this version.",
    "changes-not-approved": "Not every bundled change is approved or scheduled:",
    "nothing-deployed": "Nothing of this release runs in that environment.",
}
FIELD_LABELS = {
    "form": "Form",
    "title": "Title",
    "description": "Description",
    "releaseVersion": "Version",
    "changeIds": "Bundled changes",
    "environment": "Environment",
    "result": "Result",
    "logUrl": "Log (link)",
    "notes": "Notes",
    "returnedToVersion": "Version returned to",
    "note": "Note",
    "at": "When",
}
NOT_BUNDLED = (ChangeStatus.rejected, ChangeStatus.cancelled)
router = APIRouter(include_in_schema=False, route_class=WebRoute)


def release_id_of(raw: str) -> uuid.UUID:
    """A malformed id names no release: the same 404 as an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ReleaseNotFound("No such release.") from None


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A release page with the names of environments and results, in the visitor's language."""
    response = render(
        request,
        template,
        environment_names=ENVIRONMENT_NAMES,
        result_names=RESULT_NAMES,
        result_icons=RESULT_ICONS,
        kind_names=KIND_NAMES,
        status_names=STATUS_NAMES,
        field_labels=FIELD_LABELS,
        here=getattr(request.state, "acting_tenant", None),
        **context,
    )
    response.status_code = status_code
    return response


@router.get("/releases")
def release_list(request: Request, caller: CallerDep, cursor: str = "") -> Response:
    """The tenant's releases, newest first, with the version running in each environment."""
    after = decode_cursor(cursor) if cursor else None
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        rows, last = releases.list_releases(session, caller.principal, limit=PAGE_SIZE, after=after)
        shown = [releases.public(session, r) for r in rows]
    kept = {"tenant": caller.tenant}
    following = link(request, "/releases", **kept, cursor=encode_cursor(last)) if last else None
    return page(
        request,
        "releases.html",
        releases=shown,
        lane=releases.LANE,
        next_url=following,
        can_release=caller.principal.can(permissions.RELEASE),
    )


@router.get("/releases/new")
def new_release(request: Request, caller: CallerDep) -> Response:
    """The form to plan a release: title, version and the changes it bundles."""
    caller.principal.require(permissions.RELEASE)
    return _new_form(request, caller, {}, {})


def _new_form(
    request: Request, caller: Caller, values: dict[str, Any], errors: Errors, status_code: int = 200
) -> Response:
    principal = caller.principal
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        found, _ = service.list_changes(
            session, principal, Filters(), sort="-createdAt", limit=CHOICES, after=None
        )
        session.expunge_all()
    return page(
        request,
        "release_new.html",
        status_code,
        values=values,
        errors=errors,
        changes=[c for c in found if c.status not in NOT_BUNDLED],
        chosen=set(values.get("changeIds") or []),
    )


async def chosen_changes(request: Request) -> list[str]:
    """Every change ticked on the form (the plain form dependency keeps only one)."""
    form = await request.form()
    return [v for v in form.getlist("changeIds") if isinstance(v, str)]


ChosenDep = Annotated[list[str], Depends(chosen_changes)]


def release_create(values: dict[str, Any]) -> tuple[ReleaseCreate | None, Errors]:
    """The release from the form, or every problem by field."""
    data: dict[str, Any] = {n: _text(values, n) for n in ("title", "description", "releaseVersion")}
    data["changeIds"] = list(values.get("changeIds") or [])
    found, errors = validated(ReleaseCreate, data)
    return found, flat(errors)


def flat(errors: Errors) -> Errors:
    """Errors of list items (`changeIds.0`) belong to the list's field."""
    found: Errors = {}
    for name, message in errors.items():
        found.setdefault(name.split(".")[0], message)
    return found


def service_errors(exc: InvalidInput) -> Errors:
    """The service's invalid fields as form errors, in words the page translates."""
    errors: Errors = {}
    for param in exc.extra.get("invalidParams", []):
        reason = str(param.get("reason", ""))
        if reason.startswith("before "):
            message = "This moment lies before the step it depends on."
        else:
            message = _REASONS.get(reason, NOT_VALID)
        errors.setdefault(str(param.get("name", "form")).split(".")[0], message)
    return errors or {"form": exc.detail}


_REASONS = {
    "unknown change": "Choose changes of this organisation.",
    "named twice": "Choose each change once.",
    "lies in the future": "This moment lies in the future.",
    "that version runs there already": "That version runs there already.",
}


@router.post("/releases")
def plan_release(request: Request, caller: CallerDep, form: FormDep, ids: ChosenDep) -> Response:
    """Plan the release, or the form again with every problem next to its field."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    caller.principal.require(permissions.RELEASE)
    values: dict[str, Any] = {**form, "changeIds": ids}
    data, errors = release_create(values)
    if data is None:
        return _new_form(request, caller, values, errors, 400)
    try:
        with writing(caller) as session:
            release = releases.create_release(session, caller.principal, data=data)
    except InvalidInput as exc:
        return _new_form(request, caller, values, service_errors(exc), 400)
    back = link(request, f"/releases/{release.id}", tenant=caller.tenant)
    return RedirectResponse(back, status_code=303)


@router.get("/releases/{release_id}")
def release_page(request: Request, caller: CallerDep, release_id: str) -> Response:
    """One release: its bundled changes and the DTAP lane with its forms."""
    return show_release(request, caller, release_id_of(release_id))


def show_release(
    request: Request, caller: Caller, found: uuid.UUID, status_code: int = 200, **outcome: Any
) -> Response:
    """The release page; `outcome` carries a refused form back with what went wrong."""
    principal = caller.principal
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        release = releases.get_release(session, principal, release_id=found)
        rows = releases.deployments(session, principal, release_id=found)
        signed = releases.sign_offs(session, principal, release_id=found)
        bundled = _bundled(session, release)
        session.expunge_all()
    lane = [
        {
            "environment": env,
            "running": releases.current(rows, env),
            "latest": next((r for r in reversed(rows) if r.environment == env), None),
            "records": [r for r in rows if r.environment == env],
        }
        for env in releases.LANE
    ]
    may_sign = principal.can(permissions.SIGN_OFF)
    return page(
        request,
        "release.html",
        status_code,
        release=release,
        lane=lane,
        sign_offs=signed,
        signed_versions={s.release_version for s in signed},
        bundled=bundled,
        can_release=principal.can(permissions.RELEASE),
        can_sign=may_sign,
        message=outcome.pop("message", None),
        detail=outcome.pop("detail", None),
        reasons=outcome.pop("reasons", []),
        behind=outcome.pop("behind", []),
        reason_names=REASON_NAMES,
        forms={name: outcome.get(name, {}) for name in FORMS},
    )


FORMS = ("deploy_form", "rollback_form", "sign_form")


def _bundled(session: Session, release: Release) -> list[Any]:
    """The bundled changes still of the tenant, in the order the release names them."""
    ids = [uuid.UUID(c) for c in release.change_ids]
    found = repository.changes_in(session, ids)
    return [found[i] for i in ids if i in found]
