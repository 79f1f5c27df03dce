"""The CAB: approvers vote once each, with a reason, for a role the change's rule names.

A vote counts for one role the voter holds that the rule names (the first whose quorum is
still open), so one person never fills two roles' quorums. Nobody votes on a change they
requested or implement. One rejection rejects the change; it is approved once every role
has its quorum of approvals, and never with an untested rollback plan unless it is an
emergency.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlmodel import Session

from changes import permissions, repository
from changes.errors import AlreadyVoted, NotAnApprover, TransitionRefused
from changes.models import Change, ChangeEventKind, ChangeStatus, Vote, VoteDecision
from changes.schemas import VoteCreate
from changes.service import get_change, record
from changes.workflow import refuse_untested, set_status
from core.api.etag import check_if_match
from core.db import touch
from core.errors import Forbidden
from core.identity.access import tenant_by_id
from core.identity.permissions import Principal
from core.identity.roles import CLIENT_ROLES
from core.tenancy import TenantKind


def vote(
    session: Session,
    actor: Principal,
    *,
    change_id: uuid.UUID,
    data: VoteCreate,
    if_match: str | None,
) -> Change:
    """Approve or reject the change once, for a role its rule names."""
    actor.require(permissions.APPROVE)
    change = get_change(session, actor, change_id=change_id, for_update=True)
    _refuse_own(actor, change)
    check_if_match(if_match, change.version)
    if change.status != ChangeStatus.assessed:
        raise TransitionRefused(f"The change is {change.status.value}, not awaiting approval.")
    cast = repository.votes(session, change.id)
    if any(v.voter == actor.label for v in cast):
        raise AlreadyVoted("You already voted on this change; a vote is final.")
    role = _role_for(actor, change.approvers or [], cast, client=client_side(actor))
    if data.decision == VoteDecision.approve:
        refuse_untested(change)
    row = Vote(
        change_id=change.id,
        voter=actor.label,
        voter_name=actor.name,
        role=role,
        decision=data.decision,
        reason=data.reason,
    )
    session.add(row)
    record(session, actor, change, ChangeEventKind.vote, after=data.decision.value, role=role)
    _decide(session, actor, change, [*cast, row])
    return touch(session, change)


def _refuse_own(actor: Principal, change: Change) -> None:
    if actor.label == change.requested_by or actor.actor_id == change.implementer_id:
        raise Forbidden("Nobody approves a change they requested or implement.")


def client_side(actor: Principal) -> bool:
    """Whether `actor` is one of the client's own people: signed in through the directory of
    the client whose tenant it acts in (supplier staff sign in through the supplier's)."""
    tenant = tenant_by_id(actor.tenant_id)  # cached briefly, as authentication reads it
    if tenant is None or tenant.kind != TenantKind.client:
        return False
    return actor.directory_id is not None and actor.directory_id == tenant.entra_tenant_id


def _role_for(
    actor: Principal, approvers: list[dict[str, Any]], cast: list[Vote], *, client: bool
) -> str:
    """The role this vote counts for: one the voter holds, the first whose quorum is open. A
    client's role (the product owner's) counts only for the client's own people."""
    held = [
        a
        for a in approvers
        if a["role"] in actor.roles and (client or a["role"] not in CLIENT_ROLES)
    ]
    if not held:
        names = ", ".join(a["role"] for a in approvers) or "none"
        raise NotAnApprover(f"This change is approved by: {names}; you hold none of these roles.")
    approvals = Counter(v.role for v in cast if v.decision == VoteDecision.approve)
    open_ = [a for a in held if approvals[a["role"]] < a["quorum"]]
    return str((open_ or held)[0]["role"])


def _decide(session: Session, actor: Principal, change: Change, cast: list[Vote]) -> None:
    if any(v.decision == VoteDecision.reject for v in cast):
        set_status(session, actor, change, ChangeStatus.rejected, reason=cast[-1].reason)
        return
    approvals = Counter(v.role for v in cast)
    if all(approvals[a["role"]] >= a["quorum"] for a in change.approvers or []):
        set_status(session, actor, change, ChangeStatus.approved)


def votes(session: Session, actor: Principal, *, change_id: uuid.UUID) -> list[Vote]:
    """Every vote cast on the change, oldest first."""
    get_change(session, actor, change_id=change_id)
    return repository.votes(session, change_id)
