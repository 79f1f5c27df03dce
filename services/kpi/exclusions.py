"""Exclusions from a month's figures: the supplier's service level manager proposes, the
client's service owner accepts or rejects, once; never the one who proposed it, never anyone
of the supplier's side. Only an accepted exclusion changes a figure; proposed and rejected
ones stay visible in the list and as notes in the evidence."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from sqlmodel import Session

from core.api.etag import check_if_match
from core.api.pagination import typed_cursor
from core.errors import Forbidden, InvalidInput, PreconditionRequired
from core.identity.access import speaks_for_client
from core.identity.permissions import Principal
from core.types import utcnow
from services.availability import public as availability
from services.kpi import frozen, permissions, repository
from services.kpi.errors import AlreadyDecided, AlreadyProposed, ExclusionNotFound
from services.kpi.models import Exclusion, ExclusionState, ExclusionSubject
from services.kpi.schemas import ExclusionCreate, ExclusionDecisionCreate

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str, *, name: str = "month", pointer: str = "/month") -> date:
    """`YYYY-MM` as the month's first day; 400 naming the field otherwise."""
    found = _MONTH.match(text)
    if found is None or int(found.group(1)) < 1900:
        why = "give a month as YYYY-MM, e.g. 2026-11"
        raise InvalidInput(f"{name}: {why}.", invalidParams=[_problem(name, pointer, why)])
    return date(int(found.group(1)), int(found.group(2)), 1)


def _problem(name: str, pointer: str, reason: str) -> dict[str, str]:
    return {"name": name, "pointer": pointer, "reason": reason}


def propose(session: Session, actor: Principal, *, data: ExclusionCreate) -> Exclusion:
    """A proposed exclusion; 400 for a ticket this tenant does not have, 409 while another
    proposal or an acceptance of the same subject and month stands, or the month is closed."""
    actor.require(permissions.PROPOSE)
    month = parse_month(data.month)
    frozen.refuse_closed(session, month)
    kind = data.subject_kind
    if not _subject_exists(session, kind, data.subject_id):
        why = f"no {kind.value} with this id"
        raise InvalidInput(why, invalidParams=[_problem("subjectId", "/subjectId", why)])
    if repository.standing_exclusion(session, month, kind, data.subject_id) is not None:
        raise AlreadyProposed("This subject already has a proposed or accepted exclusion.")
    row = Exclusion(
        month=month,
        subject_kind=kind,
        subject_id=data.subject_id,
        reason=data.reason,
        proposed_by=actor.label,
    )
    session.add(row)
    session.flush()
    return row


def _subject_exists(session: Session, kind: ExclusionSubject, subject_id: uuid.UUID) -> bool:
    if kind == ExclusionSubject.ticket:
        return repository.facts(session, subject_id) is not None
    return availability.outage_exists(session, subject_id)


def decide(
    session: Session,
    actor: Principal,
    *,
    exclusion_id: uuid.UUID,
    data: ExclusionDecisionCreate,
    if_match: str | None,
) -> Exclusion:
    """Accept or reject a proposed exclusion, with the reason; 403 unless another person of
    the client side decides than the one who proposed, 409 once it was decided or its month
    was closed."""
    actor.require(permissions.DECIDE)
    row = _found(repository.exclusion(session, exclusion_id, for_update=True), exclusion_id)
    _refuse_decider(session, actor, row)
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    frozen.refuse_closed(session, row.month)
    if row.state != ExclusionState.proposed:
        raise AlreadyDecided(f"This exclusion was already {row.state.value}.")
    check_if_match(if_match, row.version)
    row.state = ExclusionState(data.decision.value)
    row.decided_by, row.decided_at, row.decision_reason = actor.label, utcnow(), data.reason
    session.flush()
    return row


def _refuse_decider(session: Session, actor: Principal, row: Exclusion) -> None:
    """The proposer never decides their own proposal, and only the client's side decides."""
    if actor.label == row.proposed_by:
        raise Forbidden("Who proposed an exclusion cannot decide on it; the client decides.")
    if not client_side(session, actor):
        raise Forbidden("Only the client's side decides on an exclusion, not the supplier's.")


def client_side(session: Session, actor: Principal) -> bool:
    """Whether `actor` speaks for the client whose tenant it acts in.

    Not so for whoever may propose exclusions (the supplier's permission) or holds a
    supplier role; a person or app must come from the client's own directory (supplier staff
    sign in through the supplier's). An API key is the tenant's own."""
    tenant = repository.tenant(session, actor.tenant_id)
    return speaks_for_client(actor, tenant, supplier_permission=permissions.PROPOSE)


def get_exclusion(session: Session, actor: Principal, *, exclusion_id: uuid.UUID) -> Exclusion:
    """The exclusion, or 404 (also for another tenant's id)."""
    actor.require(permissions.READ)
    return _found(repository.exclusion(session, exclusion_id), exclusion_id)


def _found(row: Exclusion | None, exclusion_id: uuid.UUID) -> Exclusion:
    if row is None:
        raise ExclusionNotFound(f"No exclusion with id {exclusion_id}.")
    return row


def list_exclusions(
    session: Session,
    actor: Principal,
    *,
    month: str | None,
    state: ExclusionState | None,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Exclusion], list[Any] | None]:
    """A page of exclusions, oldest proposal first, and the cursor values of the next page."""
    actor.require(permissions.READ)
    first_day = parse_month(month, pointer="query:month") if month else None
    rows = repository.exclusion_page(
        session,
        month=first_day,
        state=state,
        limit=limit + 1,
        after=typed_cursor(after, timestamp=True),
    )
    last = [rows[limit - 1].proposed_at, rows[limit - 1].id] if len(rows) > limit else None
    return rows[:limit], last


def accepted_exclusions(
    session: Session, *, month: date, subject_kind: str
) -> dict[uuid.UUID, str]:
    """The accepted exclusions of `month` (any day of it) for one subject kind (`ticket` or
    `outage`): subject id -> the reason it was proposed with."""
    first = date(month.year, month.month, 1)
    rows = repository.exclusions_in(
        session, [first], ExclusionSubject(subject_kind), state=ExclusionState.accepted
    )
    return {row.subject_id: row.reason for row in rows}
