"""Which side speaks: the client's product owner orders the backlog and decides, the
supplier proposes and works. A role alone does not make the client's side: a supplier's
person granted the product owner's role in a client tenant still speaks for the supplier."""

from __future__ import annotations

from sqlmodel import Session

from core.errors import Forbidden
from core.identity.access import speaks_for_client
from core.identity.permissions import Principal
from services.improvement import permissions, repository
from services.improvement.models import Item


def client_side(session: Session, actor: Principal) -> bool:
    """Whether `actor` speaks for the client: never whoever may propose improvements."""
    tenant = repository.tenant(session, actor.tenant_id)
    return speaks_for_client(actor, tenant, supplier_permission=permissions.PROPOSE)


def refuse_supplier_side(session: Session, actor: Principal, item: Item | None = None) -> None:
    """Only the client's side orders, decides and evaluates; never who proposed the item."""
    if item is not None and actor.label == item.proposed_by:
        raise Forbidden("Who proposed an improvement cannot decide on it.")
    if not client_side(session, actor):
        raise Forbidden("Only the client's side does this, not the supplier's.")
