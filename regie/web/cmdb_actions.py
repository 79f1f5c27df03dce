"""Writing the CMDB in the web UI: record a configuration item (pick its class, then fill in
the class's attributes, each with the input its type calls for), and relate a CI to another
or remove a relation from its page. The same service calls as the CMDB API, checked the same
way; every refused field is named next to its input."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from cmdb import classes, permissions, relations, repository, service
from cmdb.attributes import AttributeDefinition, AttributeType
from cmdb.errors import DuplicateNaturalKey, DuplicateRelation, RelationNotFound
from cmdb.models import CiStatus, RelationType
from cmdb.schemas import CiCreate, ClassPublic, RelationCreate
from core.db import unit_of_work
from core.errors import InvalidInput
from core.identity import sessions
from regie.web import link, render
from regie.web.cmdb import STATUS_NAMES, ci_id_of, show_ci, visible_classes
from regie.web.ticket_forms import NOT_VALID, REQUIRED
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, writing

RELATION_TAKEN = "This relation already exists."
NO_SUCH_CI = "Give the name, key or id of one other configuration item."
KEY_TAKEN = "The class already has a configuration item with this key."
FIELDS = {"name": "Name", "naturalKey": "Key", "status": "Status", "owner": "Owner"}
ATTRIBUTE = "attributes."  # the prefix of an attribute's field name, as the API names it

router = APIRouter(include_in_schema=False, route_class=WebRoute)


@router.get("/cis/new")
def new_ci(request: Request, caller: CallerDep, cls: str = "") -> Response:
    """The form to record a CI: first its class, then its fields."""
    caller.principal.require(permissions.WRITE)
    return _form(request, caller, cls, {}, {})


@router.post("/cis/new")
def record_ci(request: Request, caller: CallerDep, form: FormDep, cls: str = "") -> Response:
    """Record the CI, or the form again with every refused field named."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    caller.principal.require(permissions.WRITE)
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        found = _class(session, cls)
    if found is None:
        return _form(request, caller, "", form, {"cls": NOT_VALID}, 400)
    values, errors = _typed(found, form)
    body = {
        "classId": str(found.id),
        "name": form.get("name", ""),
        "naturalKey": form.get("naturalKey", ""),
        "status": form.get("status") or CiStatus.active.value,
        "owner": form.get("owner", "").strip() or None,
        "attributes": values,
    }
    try:
        data = CiCreate.model_validate(body)
    except ValidationError as exc:
        for err in exc.errors():
            name = ".".join(str(part) for part in err["loc"]) or "form"
            errors.setdefault(name, REQUIRED if "too_short" in err["type"] else NOT_VALID)
        return _form(request, caller, cls, form, errors, 400)
    if errors:
        return _form(request, caller, cls, form, errors, 400)
    try:
        with writing(caller) as session:
            ci = service.create_ci(session, caller.principal, data=data)
    except InvalidInput as exc:
        return _form(request, caller, cls, form, _service_errors(exc), 400)
    except DuplicateNaturalKey:
        return _form(request, caller, cls, form, {"naturalKey": KEY_TAKEN}, 409)
    return RedirectResponse(link(request, f"/cis/{ci.id}", tenant=caller.tenant), 303)


def _class(session: Any, raw: str) -> ClassPublic | None:
    try:
        return classes.find(session, uuid.UUID(raw)) if raw else None
    except ValueError:
        return None


def _typed(found: ClassPublic, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The attribute values as the API takes them (a number as a number, a ticked box as
    true), left out when empty; a number that is none is named at once."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for a in found.attributes:
        name = ATTRIBUTE + a.key
        raw = form.get(name, "").strip()
        if a.type == AttributeType.boolean:
            values[a.key] = raw == "true"
        elif not raw:
            continue
        elif a.type == AttributeType.number:
            try:
                number = float(raw.replace(",", "."))
                values[a.key] = int(number) if number.is_integer() else number
            except ValueError:
                errors[name] = NOT_VALID
        else:
            values[a.key] = raw
    return values, errors


def _service_errors(exc: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for param in exc.extra.get("invalidParams", []):
        reason = str(param.get("reason", ""))
        errors.setdefault(str(param.get("name")), REQUIRED if "required" in reason else NOT_VALID)
    return errors or {"form": exc.detail}


def _form(
    request: Request,
    caller: Caller,
    cls: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        known = visible_classes(session, caller.principal)
        found = _class(session, cls)
    labels = FIELDS | {"cls": "Class"}
    labels |= {ATTRIBUTE + a.key: a.label for a in (found.attributes if found else [])}
    response = render(
        request,
        "ci_new.html",
        classes=known,
        chosen=found,
        values=values,
        errors=errors,
        field_labels=labels,
        hints={a.key: _hint(a) for a in (found.attributes if found else [])},
        statuses=list(CiStatus),
        status_names=STATUS_NAMES,
        here=getattr(request.state, "acting_tenant", None),
    )
    response.status_code = status_code
    return response


def _hint(a: AttributeDefinition) -> tuple[str, ...] | None:
    """What the value must be, where the input type does not say it already: the words to
    translate, then the numbers."""
    if a.type == AttributeType.number and a.minimum is not None and a.maximum is not None:
        return ("From", f"{a.minimum:g}", "up to and including", f"{a.maximum:g}")
    if a.type == AttributeType.reference:
        return ("The id of another configuration item",)
    return None


@router.post("/cis/{ci_id}/relations")
def relate(request: Request, caller: CallerDep, ci_id: str, form: FormDep) -> Response:
    """Relate the CI to another, named by its name, key or id, either way round."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ci_id_of(ci_id)
    caller.principal.require(permissions.WRITE)
    way, _, kind = form.get("relation", "").partition(":")
    errors: dict[str, str] = {}
    if way not in ("outgoing", "incoming") or kind not in {t.value for t in RelationType}:
        errors["relation"] = NOT_VALID
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        service.get_ci(session, caller.principal, ci_id=found)  # 404 before anything else
        other = _other(session, caller, form.get("other", ""))
    if other is None:
        errors["other"] = NO_SUCH_CI
    if not errors:
        assert other is not None
        ends = (found, other) if way == "outgoing" else (other, found)
        data = RelationCreate(source_id=ends[0], target_id=ends[1], type=RelationType(kind))
        try:
            with writing(caller) as session:
                relations.add_relation(session, caller.principal, data=data)
            back = link(request, f"/cis/{found}", tenant=caller.tenant) + "#relations"
            return RedirectResponse(back, status_code=303)
        except InvalidInput:
            errors["other"] = NO_SUCH_CI
        except DuplicateRelation:
            errors["other"] = RELATION_TAKEN
    refused = {"values": form, "errors": errors}
    return show_ci(request, caller, found, 400, relation_form=refused)


def _other(session: Any, caller: Caller, given: str) -> uuid.UUID | None:
    """The one CI the text names: its id, or exactly its name or key (any case)."""
    text = given.strip()[:200]
    if not text:
        return None
    try:
        wanted = uuid.UUID(text)
        return wanted if repository.get(session, wanted) else None
    except ValueError:
        pass
    rows, _ = service.list_cis(
        session, caller.principal, repository.Filters(text=text), sort="name", limit=20, after=None
    )
    by_name = [r.id for r in rows if r.name.lower() == text.lower()]
    by_key = [r.id for r in rows if r.natural_key.lower() == text.lower()]
    matches = by_name or by_key
    return matches[0] if len(matches) == 1 else None


@router.post("/cis/{ci_id}/relations/{relation_id}/removal")
def unrelate(
    request: Request, caller: CallerDep, ci_id: str, relation_id: str, form: FormDep
) -> Response:
    """End one of the CI's current relations; it stays in the history of both CIs."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ci_id_of(ci_id)
    try:
        chosen = uuid.UUID(relation_id)
    except ValueError:
        raise RelationNotFound("No such relation.") from None
    with writing(caller) as session:
        relation = relations.get_relation(session, caller.principal, relation_id=chosen)
        if found not in (relation.source_id, relation.target_id):
            raise RelationNotFound("No such relation of this configuration item.")
        relations.remove_relation(session, caller.principal, relation_id=chosen)
    back = link(request, f"/cis/{found}", tenant=caller.tenant) + "#relations"
    return RedirectResponse(back, status_code=303)
