"""What other domains may use of the improvement register.

- `PROPOSE`, `READ`: the permissions a one-step proposal from another domain, and reading
  its items back, demand.
- `ImprovementCreate`, `ImprovementPublic`, `ImprovementSource`: the shapes of a proposal
  and of an item; `ImprovementFromSource` what a one-step proposal from a source object may
  add; `ImprovementList` the items of one source object.
- `register_source_check(kind, check)`: a higher domain tells how to check that a source
  object of `kind` exists in the session's tenant (problems do, at start).
- `propose(session, actor, *, data) -> ImprovementPublic`: a proposed item at the end of the
  backlog.
- `items_of_source(session, *, kind, source_id) -> list[ImprovementPublic]`: the items a source
  object (a problem) led to, oldest first: the link back from the source.
- `register_state(session) -> RegisterState`: counts per status and the ordered backlog
  (`BacklogRow`s), for the monthly report.
- `link_change(session, *, item_id, change_id) -> ImprovementPublic`: a change realises the
  item (stored on the item's side, once); `ImprovementNotFound` for an item the tenant does
  not have, a 409 for a closed one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlmodel import Session

from core.identity.permissions import Principal
from services.improvement import feeds, repository, service
from services.improvement.errors import ImprovementNotFound
from services.improvement.models import ImprovementSource
from services.improvement.permissions import PROPOSE, READ
from services.improvement.schemas import (
    ImprovementCreate,
    ImprovementFromSource,
    ImprovementList,
    ImprovementPublic,
)
from services.improvement.state import BacklogRow, RegisterState, register_state

__all__ = [
    "PROPOSE",
    "READ",
    "BacklogRow",
    "ImprovementCreate",
    "ImprovementFromSource",
    "ImprovementList",
    "ImprovementNotFound",
    "ImprovementPublic",
    "ImprovementSource",
    "RegisterState",
    "items_of_source",
    "link_change",
    "propose",
    "register_source_check",
    "register_state",
]


def register_source_check(
    kind: ImprovementSource, check: Callable[[Session, uuid.UUID], bool]
) -> None:
    """Let items of `kind` name a source object, checked to exist by `check`."""
    service.SOURCE_CHECKS[kind] = check


def propose(session: Session, actor: Principal, *, data: ImprovementCreate) -> ImprovementPublic:
    """A proposed item, as the API shows it; 400 naming every invalid field."""
    item = service.propose(session, actor, data=data)
    return service.present(session, [item])[0]


def items_of_source(
    session: Session, *, kind: ImprovementSource, source_id: uuid.UUID
) -> list[ImprovementPublic]:
    """The items that name this source object, oldest first."""
    filters = repository.Filters(source_kind=kind, source_id=source_id)
    rows = repository.page(session, filters, sort="createdAt", limit=1000, after=None)
    return service.present(session, rows)


def link_change(session: Session, *, item_id: uuid.UUID, change_id: uuid.UUID) -> ImprovementPublic:
    """Record that the change realises the item, which then lists it; 404 for an item the
    tenant does not have."""
    item = feeds.link_change(session, item_id=item_id, change_id=change_id)
    return service.present(session, [item])[0]
