"""Business operations on improvement items: proposing, reading, lists, edits, progress notes
and history. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.api.etag import check_if_match
from core.api.pagination import typed_cursor
from core.db import touch
from core.errors import Forbidden, InvalidInput
from core.identity.permissions import Principal
from services.improvement import backlog, permissions, repository
from services.improvement.errors import Closed, ImprovementNotFound
from services.improvement.figures import value_of
from services.improvement.models import FINAL, Event, ImprovementEventKind, ImprovementSource, Item
from services.improvement.schemas import (
    ImprovementCreate,
    ImprovementNoteCreate,
    ImprovementPublic,
    ImprovementUpdate,
)
from services.kpi import public as kpi

# Checks that a source object exists in the session's tenant, per source kind. Problems live
# in a higher layer, which registers its check at start (regie.wiring); a kind without a
# check takes no source id, so no id is ever stored unchecked.
SOURCE_CHECKS: dict[ImprovementSource, Callable[[Session, uuid.UUID], bool]] = {
    ImprovementSource.user_feedback: lambda s, ticket_id: (
        kpi.stored_facts(s, ticket_id=ticket_id) is not None
    ),
}
ZONE = ZoneInfo("Europe/Amsterdam")  # where a consultation's dates are
READERS = (
    permissions.READ,
    permissions.PROPOSE,
    permissions.PRIORITISE,
    permissions.DECIDE,
    permissions.WORK,
)


def problem(name: str, why: str, pointer: str | None = None) -> dict[str, str]:
    """One entry of a 400's invalidParams: the field, its JSON pointer and why."""
    return {"name": name, "pointer": pointer or f"/{name}", "reason": why}


def refuse(problems: list[dict[str, str]]) -> None:
    """400 naming every invalid field at once, if any."""
    if problems:
        names = ", ".join(p["name"] for p in problems)
        raise InvalidInput(f"Invalid: {names}.", invalidParams=problems)


def require_any(actor: Principal, *wanted: str) -> None:
    """Refuse with 403 unless the caller holds one of the permissions."""
    if not any(actor.can(p) for p in wanted):
        raise Forbidden(f"This action needs the permission '{wanted[0]}'.")


def record(
    session: Session,
    actor: Principal | None,
    item: Item,
    kind: ImprovementEventKind,
    *,
    before: str | None = None,
    after: str | None = None,
    text: str | None = None,
    by: tuple[str, str] | None = None,
    **data: Any,
) -> Event:
    """Add a history row to the item; without an actor, `by` names the feed (label, name)."""
    label, name = (actor.label, actor.name) if actor else by or ("system", "Regie")
    event = Event(
        item_id=item.id,
        actor=label,
        actor_name=name,
        kind=kind,
        from_value=before,
        to_value=after,
        text=text,
        data=data,
    )
    session.add(event)
    return event


def _month(text: str | None) -> date | None:
    return None if text is None else date(int(text[:4]), int(text[5:7]), 1)


def _source_problems(session: Session, data: ImprovementCreate) -> list[dict[str, str]]:
    kind, found = data.source_kind, []
    if kind == ImprovementSource.sla_breach_trend and data.source_month is None:
        found.append(problem("sourceMonth", "an sla-breach-trend names its KPI month"))
    if kind != ImprovementSource.sla_breach_trend and data.source_month is not None:
        found.append(problem("sourceMonth", "only an sla-breach-trend has a month"))
    check = SOURCE_CHECKS.get(kind)
    if data.source_id is None:
        if kind == ImprovementSource.problem:
            found.append(problem("sourceId", "a problem's id is required for this source"))
    elif check is None:
        found.append(problem("sourceId", f"a {kind.value} has no source object to link"))
    elif not check(session, data.source_id):
        found.append(problem("sourceId", f"no {kind.value} source with this id"))
    return found


def target_problems(kpi_name: Any, baseline: bool, target: bool) -> list[dict[str, str]]:
    """Baseline and target only measure a named KPI figure."""
    if kpi_name is not None:
        return []
    why = "give the kpi it measures"
    return [problem(name, why) for name, v in (("baseline", baseline), ("target", target)) if v]


def propose(
    session: Session,
    actor: Principal | None,
    *,
    data: ImprovementCreate,
    feed_key: str | None = None,
    proposer: tuple[str, str] | None = None,
) -> Item:
    """A proposed item at the end of the backlog; 400 naming every invalid field. A feed
    proposes without an actor, naming itself in `proposer` (label, name)."""
    if actor is not None:
        actor.require(permissions.PROPOSE)
    refuse(
        _source_problems(session, data)
        + target_problems(data.kpi, data.baseline is not None, data.target is not None)
    )
    if proposer is None:
        assert actor is not None, "a feed names itself as proposer"
        proposer = (actor.label, actor.name)
    label, name = proposer
    item = Item(
        **data.model_dump(exclude={"source_month", "kpi", "baseline"}),
        baseline=_baseline(session, data),
        source_month=_month(data.source_month),
        kpi=data.kpi.value if data.kpi else None,
        proposed_by=label,
        proposed_by_name=name,
        feed_key=feed_key,
    )
    session.add(item)
    session.flush()
    record(session, actor, item, ImprovementEventKind.created, after=item.status.value, by=proposer)
    backlog.append(session, item.id)
    session.flush()
    return item


def _baseline(session: Session, data: ImprovementCreate) -> float | None:
    """The baseline given, or for a breach trend the KPI figure of its month as computed."""
    if data.baseline is not None or data.kpi is None or data.source_month is None:
        return data.baseline
    return value_of(kpi.figures(session, period=kpi.parse_period(data.source_month)), data.kpi)


def get_item(
    session: Session, actor: Principal, *, item_id: uuid.UUID, for_update: bool = False
) -> Item:
    """The item, or ImprovementNotFound (also for another tenant's id)."""
    require_any(actor, *READERS)
    item = repository.get(session, item_id, for_update=for_update)
    if item is None:
        raise ImprovementNotFound(f"No improvement with id {item_id}.")
    return item


def load_for_change(
    session: Session, actor: Principal, item_id: uuid.UUID, if_match: str | None
) -> Item:
    """The item locked for a change, only if `if_match` names its version."""
    item = get_item(session, actor, item_id=item_id, for_update=True)
    check_if_match(if_match, item.version)
    return item


def update_item(
    session: Session,
    actor: Principal,
    *,
    item_id: uuid.UUID,
    changes: ImprovementUpdate,
    if_match: str | None,
) -> Item:
    """Change an open item's details; each changed field is named in one history row."""
    require_any(actor, permissions.PROPOSE, permissions.WORK)
    item = load_for_change(session, actor, item_id, if_match)
    if item.status in FINAL:
        raise Closed(f"The improvement is {item.status.value}.")
    given = changes.model_dump(exclude_unset=True)
    after = {**{k: getattr(item, k) for k in ("kpi", "baseline", "target")}, **given}
    required = [
        problem(k, "cannot be null")
        for k in ("title", "description")
        if k in given and given[k] is None
    ]
    refuse(
        required
        + target_problems(after["kpi"], after["baseline"] is not None, after["target"] is not None)
    )
    changed = sorted(k for k, v in given.items() if getattr(item, k) != v)
    for key in changed:
        value = given[key]
        setattr(item, key, value.value if key == "kpi" and value is not None else value)
    if changed:
        record(session, actor, item, ImprovementEventKind.updated, fields=changed)
    return touch(session, item)


def list_items(
    session: Session,
    actor: Principal,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Item], list[Any] | None]:
    """One page in stable order, plus the cursor values of its last row when more follow."""
    require_any(actor, *READERS)
    typed = typed_cursor(after, timestamp=True)
    rows = repository.page(session, filters, sort=sort, limit=limit + 1, after=typed)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    value = getattr(last, repository.SORTS[sort.lstrip("-")].key)
    return rows[:limit], [value.isoformat(), str(last.id)]


def add_note(
    session: Session, actor: Principal, *, item_id: uuid.UUID, data: ImprovementNoteCreate
) -> Event:
    """A progress note on an item that is not closed."""
    require_any(actor, permissions.WORK, permissions.PROPOSE)
    item = get_item(session, actor, item_id=item_id, for_update=True)
    if item.status in FINAL:
        raise Closed(f"The improvement is {item.status.value}.")
    event = record(session, actor, item, ImprovementEventKind.note, text=data.text)
    touch(session, item)
    return event


def history(
    session: Session,
    actor: Principal,
    *,
    item_id: uuid.UUID,
    kind: ImprovementEventKind | None = None,
) -> list[Event]:
    """The item's history (or only its rows of `kind`), oldest first."""
    get_item(session, actor, item_id=item_id)
    return repository.events(session, item_id, kind)


def present(session: Session, items: list[Item]) -> list[ImprovementPublic]:
    """The items as the API shows them, with their backlog rank and linked changes."""
    ranks = backlog.ranks(session)
    changes = repository.change_ids(session, [item.id for item in items])
    return [
        ImprovementPublic.model_validate(
            {
                **item.model_dump(exclude={"tenant_id", "feed_key", "source_month"}),
                "source_month": _month_text(item.source_month),
                "rank": ranks.get(item.id),
                "change_ids": changes[item.id],
            }
        )
        for item in items
    ]


def _month_text(month: date | None) -> str | None:
    return None if month is None else f"{month.year:04d}-{month.month:02d}"


# What a consultation reviews: everything but edits of an item's details.
REVIEWED: list[ImprovementEventKind] = [
    kind for kind in ImprovementEventKind if kind != ImprovementEventKind.updated
]


def review(
    session: Session, actor: Principal, *, since: date, limit: int, after: list[Any] | None
) -> tuple[list[tuple[Event, Item]], list[Any] | None]:
    """The history rows from local midnight of `since` on, oldest first, with their items."""
    require_any(actor, *READERS)
    start = datetime.combine(since, time(), ZONE).astimezone(UTC)
    typed = typed_cursor(after, timestamp=True)
    rows = repository.events_since(session, start, REVIEWED, limit=limit + 1, after=typed)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1][0]
    return rows[:limit], [last.at.isoformat(), str(last.id)]
