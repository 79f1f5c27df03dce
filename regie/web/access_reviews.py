"""The access review pages: the reviews of the tenant (for its admins) or those one is the
named reviewer of, one review with every grant it covers, and the reviewer's decision per
grant - keep it, or revoke it at once. Everything goes through core.identity.reviews under the
signed-in person's own principal, as the API's /access-reviews does.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from core.db import unit_of_work
from core.errors import NotFound
from core.identity import reviews, sessions
from core.identity.models import AccessReview, AccessReviewItem, ReviewDecision
from core.identity.schemas import DecisionCreate
from regie.web import link, pick_language, ticket_forms
from regie.web.figures import Formatter
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, page, writing

PATH = "/access-reviews"
DECISIONS = {"pending": "Not decided yet", "confirmed": "Kept", "revoked": "Revoked"}
KINDS = {"user": "Person", "group": "Group"}
CHOOSE = "Choose whether to keep or to revoke this access."
NOTE_TOO_LONG = "Keep the note under 1000 characters."

router = APIRouter(include_in_schema=False, route_class=WebRoute)


@router.get(PATH)
def list_reviews(request: Request, caller: CallerDep) -> Response:
    """The tenant's reviews for those who manage them; otherwise the ones naming the caller."""
    principal = caller.principal
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        if principal.can(reviews.MANAGE):
            found = reviews.list_reviews(session, principal)
        else:
            found = reviews.named_in(session, principal)
    fmt = Formatter(pick_language(request))
    return page(
        request,
        "access_reviews.html",
        reviews=[_review_view(request, caller, r, fmt) for r in found],
        manages=principal.can(reviews.MANAGE),
    )


@router.get(PATH + "/{review_id}")
def show_review(request: Request, caller: CallerDep, review_id: str) -> Response:
    """One review with every grant in it; its reviewer decides here."""
    return _review_page(request, caller, _id(review_id))


@router.post(PATH + "/{review_id}/items/{item_id}/decision")
def decide(
    request: Request, caller: CallerDep, review_id: str, item_id: str, form: FormDep
) -> Response:
    """Keep or revoke one grant; a revocation takes effect at once."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    caller.principal.require(reviews.DECIDE)
    wanted_review, wanted_item = _id(review_id), _id(item_id)
    values = {"decision": form.get("decision") or None, "note": form.get("note", "")}
    data, invalid = ticket_forms.validated(DecisionCreate, values)
    if data is None:
        errors = {name: CHOOSE if name == "decision" else NOTE_TOO_LONG for name in invalid}
        return _review_page(
            request,
            caller,
            wanted_review,
            400,
            errors=errors,
            failed=str(wanted_item),
            values=values,
        )
    with writing(caller) as session:
        reviews.decide(
            session,
            caller.principal,
            review_id=wanted_review,
            item_id=wanted_item,
            decision=ReviewDecision(data.decision),
            note=data.note,
        )
    target = link(request, f"{PATH}/{wanted_review}", decided=1) + f"#item-{wanted_item}"
    return RedirectResponse(target, status_code=303)


def _review_page(
    request: Request, caller: Caller, review_id: uuid.UUID, status_code: int = 200, **form: Any
) -> Response:
    principal = caller.principal
    principal.require(reviews.DECIDE)
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        review, items = reviews.get_review(session, principal, review_id=review_id)
    fmt = Formatter(pick_language(request))
    decides = reviews.is_reviewer(principal, review)
    return page(
        request,
        "access_review.html",
        status_code,
        review=_review_view(request, caller, review, fmt),
        items=[_item_view(request, review, item, fmt) for item in items],
        decides=decides,
        pending=sum(item.decision == ReviewDecision.pending for item in items),
        decided=request.query_params.get("decided") == "1",
        errors=form.get("errors", {}),
        failed=form.get("failed"),
        values=form.get("values", {}),
        decision_names=DECISIONS,
        kinds=KINDS,
    )


def _id(raw: str) -> uuid.UUID:
    """A malformed id names no review: the same 404 as an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such access review.") from None


def _review_view(
    request: Request, caller: Caller, review: AccessReview, fmt: Formatter
) -> dict[str, Any]:
    return {
        "id": str(review.id),
        "name": review.name,
        "href": link(request, f"{PATH}/{review.id}"),
        "reviewer": review.reviewer_name or str(review.reviewer_oid),
        "mine": reviews.is_reviewer(caller.principal, review),
        "started_by": review.started_by,
        "started_at": fmt.moment(review.started_at),
        "due_at": fmt.moment(review.due_at),
        "completed_at": fmt.moment(review.completed_at) if review.completed_at else None,
        "overdue": reviews.is_overdue(review),
    }


def _item_view(
    request: Request, review: AccessReview, item: AccessReviewItem, fmt: Formatter
) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "subject": item.subject_name or str(item.subject_oid),
        "kind": item.subject_kind.value,
        "role": item.role.value,
        "granted_by": item.granted_by,
        "granted_at": fmt.moment(item.granted_at),
        "last_sign_in": fmt.moment(item.last_sign_in_at) if item.last_sign_in_at else None,
        "decision": item.decision.value,
        "decided_at": fmt.moment(item.decided_at) if item.decided_at else None,
        "note": item.note,
        "action": link(request, f"{PATH}/{review.id}/items/{item.id}/decision"),
    }
