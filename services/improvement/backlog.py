"""The tenant's one ordered backlog: new items join at the end, items leave it when they are
realised, rejected or withdrawn, and the client's product owner orders it. Every order change
names the backlog version it was made on (If-Match), so concurrent moves never silently
overwrite each other."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.api.etag import check_if_match
from core.errors import InvalidInput
from core.identity.permissions import Principal
from services.improvement import permissions, repository
from services.improvement.errors import ImprovementNotFound, NotOnBacklog
from services.improvement.models import Backlog, Item
from services.improvement.schemas import ImprovementMove
from services.improvement.sides import refuse_supplier_side


def append(session: Session, item_id: uuid.UUID) -> None:
    """Put a new item at the end of the backlog."""
    row = repository.backlog_for_change(session)
    row.item_ids = [*row.item_ids, str(item_id)]


def remove(session: Session, item_id: uuid.UUID) -> None:
    """Take an item off the backlog (it was realised, rejected or withdrawn)."""
    row = repository.backlog_for_change(session)
    if str(item_id) in row.item_ids:
        row.item_ids = [i for i in row.item_ids if i != str(item_id)]


def ranks(session: Session) -> dict[uuid.UUID, int]:
    """Each item's place on the backlog, 1 first."""
    row = repository.backlog(session)
    return {uuid.UUID(i): n for n, i in enumerate(row.item_ids if row else [], start=1)}


def ordered(session: Session, actor: Principal) -> tuple[int, list[Item]]:
    """The backlog's version (0 before the first item) and its items in order."""
    actor.require(permissions.READ)
    return current(session)


def current(session: Session) -> tuple[int, list[Item]]:
    """The session tenant's backlog version and items in order, for whoever may read it."""
    row = repository.backlog(session)
    if row is None:
        return 0, []
    ids = [uuid.UUID(i) for i in row.item_ids]
    found = repository.items(session, ids)
    return row.version, [found[i] for i in ids if i in found]


def _locked(session: Session, actor: Principal, if_match: str | None) -> Backlog:
    actor.require(permissions.PRIORITISE)
    refuse_supplier_side(session, actor)
    row = repository.backlog_for_change(session)
    check_if_match(if_match, row.version)
    return row


def reorder(
    session: Session, actor: Principal, *, item_ids: list[uuid.UUID], if_match: str | None
) -> tuple[int, list[Item]]:
    """Replace the order; `item_ids` must name every item on the backlog exactly once."""
    row = _locked(session, actor, if_match)
    wanted = [str(i) for i in item_ids]
    if len(set(wanted)) != len(wanted) or set(wanted) != set(row.item_ids):
        why = "name every item on the backlog exactly once, and no other"
        raise InvalidInput(
            why, invalidParams=[{"name": "itemIds", "pointer": "/itemIds", "reason": why}]
        )
    row.item_ids = wanted
    session.flush()
    return ordered(session, actor)


def move(
    session: Session,
    actor: Principal,
    *,
    item_id: uuid.UUID,
    data: ImprovementMove,
    if_match: str | None,
) -> tuple[int, list[Item]]:
    """Put one item just before or just after another one on the backlog."""
    actor.require(permissions.PRIORITISE)
    if repository.get(session, item_id) is None:
        raise ImprovementNotFound(f"No improvement with id {item_id}.")
    row = _locked(session, actor, if_match)
    if str(item_id) not in row.item_ids:
        raise NotOnBacklog("Only proposed, accepted, planned and in-progress items are ordered.")
    anchor = data.before or data.after
    found = []
    if (data.before is None) == (data.after is None):
        found.append(_problem("before", "give either before or after, not both"))
    elif anchor == item_id or str(anchor) not in row.item_ids:
        name = "before" if data.before else "after"
        found.append(_problem(name, "another item on the backlog"))
    if found:
        raise InvalidInput("The move cannot be made.", invalidParams=found)
    rest = [i for i in row.item_ids if i != str(item_id)]
    at = rest.index(str(anchor)) + (0 if data.before else 1)
    row.item_ids = [*rest[:at], str(item_id), *rest[at:]]
    session.flush()
    return ordered(session, actor)


def _problem(name: str, reason: str) -> dict[str, str]:
    return {"name": name, "pointer": f"/{name}", "reason": reason}
