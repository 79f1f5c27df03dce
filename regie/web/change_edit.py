"""Editing a draft change's details on its own page: title, description, reason, the services
and configuration items affected, the planned window, downtime and the implementer. The
changes API's merge patch, on the version of the change the form showed (its If-Match)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from changes import permissions, service
from changes.models import Change, ChangeStatus
from changes.schemas import ChangeUpdate
from core.db import unit_of_work
from core.errors import Conflict, InvalidInput, PreconditionFailed
from core.identity import sessions
from regie.web import AMSTERDAM, link
from regie.web import change_forms as forms
from regie.web.changes import CHOICES, ListsDep, _cis, change_id_of, implementers, page
from regie.web.ticket_forms import REQUIRED, Errors, _text, validated
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, if_match_of, writing
from services.catalogue import service as catalogue

STALE = (
    "Someone else changed this change after you opened it. Nothing was changed: "
    "check the change and its history, then try again."
)
NOT_A_DRAFT = "Only a draft change is edited; cancel it and raise another."
router = APIRouter(include_in_schema=False, route_class=WebRoute)


def change_update(values: Mapping[str, Any]) -> tuple[ChangeUpdate | None, Errors]:
    """The draft's new details; an empty window field leaves that moment as it is, and the
    implementer is sent only when another one was chosen."""
    errors: Errors = {}
    data = forms.details(values, errors)
    errors |= {n: REQUIRED for n in ("title", "description", "reason") if data[n] is None}
    if data["implementerId"] == _text(values, "implementerWas"):
        del data["implementerId"]
    found, invalid = validated(ChangeUpdate, data)
    if found is not None and "implementerId" in data and data["implementerId"] is None:
        found.implementer_id = None  # "not named yet" chosen: the form leaves empty fields out
    errors = forms._flat(invalid) | errors
    return (None if errors else found), errors


def _local(moment: Any) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _values(change: Change) -> dict[str, Any]:
    """The form's fields as the change has them now."""
    return {
        "version": str(change.version),
        "title": change.title,
        "description": change.description,
        "reason": change.reason,
        "serviceIds": list(change.service_ids),
        "ciIds": list(change.ci_ids or []),
        "plannedStart": _local(change.planned_start),
        "plannedEnd": _local(change.planned_end),
        "causesDowntime": "1" if change.causes_downtime else "",
        "implementerId": str(change.implementer_id or ""),
        "implementerWas": str(change.implementer_id or ""),
    }


def _form(
    request: Request,
    caller: Caller,
    found: uuid.UUID,
    values: dict[str, Any] | None,
    errors: Errors,
    status_code: int = 200,
    message: str | None = None,
) -> Response:
    principal = caller.principal
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        change = service.get_change(session, principal, change_id=found)
        services, _ = catalogue.list_entries(
            session, principal, sort="name", limit=CHOICES, after=None
        )
        cis = _cis(session, principal)
        people = implementers(session, principal, (change.implementer_id, change.implementer_name))
        session.expunge_all()
    if change.status != ChangeStatus.draft and message is None:
        message, status_code = NOT_A_DRAFT, 409
    shown = values if values is not None else _values(change)
    return page(
        request,
        "change_edit.html",
        status_code,
        change=change,
        values=shown,
        version=change.version if values is None else shown.get("version", ""),
        chosen_services=set(shown.get("serviceIds") or []),
        chosen_cis=set(shown.get("ciIds") or []),
        errors=errors,
        services=services,
        cis=cis,
        implementers=people,
        message=message,
    )


@router.get("/changes/{change_id}/edit")
def edit_change(request: Request, caller: CallerDep, change_id: str) -> Response:
    """The draft's details in a form, as they are now."""
    caller.principal.require(permissions.WRITE)
    return _form(request, caller, change_id_of(change_id), None, {})


@router.post("/changes/{change_id}/details")
def save_details(
    request: Request, caller: CallerDep, change_id: str, form: FormDep, lists: ListsDep
) -> Response:
    """Save the draft's details on the version the form showed; else the form again with
    what went wrong, and nothing changed."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    caller.principal.require(permissions.WRITE)
    found = change_id_of(change_id)
    values: dict[str, Any] = {**form, **lists}
    data, errors = change_update(values)
    if data is None:
        return _form(request, caller, found, values, errors, 400)
    try:
        with writing(caller) as session:
            service.update_change(
                session,
                caller.principal,
                change_id=found,
                changes=data,
                if_match=if_match_of(form),
            )
    except PreconditionFailed:
        return _form(request, caller, found, values, {}, 412, STALE)
    except Conflict:
        return _form(request, caller, found, values, {}, 409, NOT_A_DRAFT)
    except InvalidInput as exc:
        return _form(request, caller, found, values, forms.service_errors(exc), 400)
    back = link(request, f"/changes/{found}", tenant=caller.tenant)
    return RedirectResponse(back, status_code=303)
