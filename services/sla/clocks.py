"""The stored SLA clocks of a ticket: recomputed from its whole history, and explained.

Which terms apply: the agreement version in effect when the ticket was opened (its local
date). A later version never changes an open ticket's targets, pauses or counted type, and
recomputing later gives the same figures. Only ticket types the agreement counts get clocks,
and an incident only the restore clock of its class (platform or application).

A stored clock holds its figures as of the ticket's latest clock event, so that they are a
function of history alone: recomputing at any later time gives identical rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.types import utcnow
from services.sla import clock, repository, schemas, service, terms
from services.sla.clock import Event
from services.sla.models import FIGURES, Agreement, Clock


@dataclass(frozen=True)
class ClockHistory:
    """One ticket's clock events, as `update_clocks` takes them, for `update_clocks_of`."""

    ticket_id: uuid.UUID
    ticket_type: str
    events: Sequence[Event]
    incident_class: str | None = None


def update_clocks(
    session: Session,
    *,
    ticket_id: uuid.UUID,
    ticket_type: str,
    events: Sequence[Event],
    incident_class: str | None = None,
    new: bool = False,
) -> int:
    """Make the ticket's stored clocks match its history (only its class's restore clock);
    returns how many rows changed. `new`: the ticket was created in this transaction, so
    nothing is stored for it yet and nothing is read."""
    agreement = service.in_effect(session, _opened(events))
    computed = _computed(agreement, ticket_id, ticket_type, events, incident_class)
    stored = [] if new else repository.clocks(session, ticket_id)
    changed, added = _reconcile(session, computed, stored)
    for values in added:
        session.add(Clock(**values))
    return changed + len(added)


def update_clocks_of(
    session: Session, *, histories: Sequence[ClockHistory], clocked: set[uuid.UUID]
) -> int:
    """`update_clocks` for many tickets in a fixed number of statements (a rebuild reads a
    page of tickets at once): new rows are inserted in bulk, and the stored rows leave the
    session once written, which so stays small over any number of pages. `clocked`: the
    tickets with stored clocks (`clocked_tickets`), the only ones looked up. Returns how many
    rows changed."""
    versions, default = repository.agreements(session), terms.default_agreement()
    ids = [history.ticket_id for history in histories if history.ticket_id in clocked]
    stored = clocks_of(session, ticket_ids=ids)
    changed, added = 0, list[dict[str, Any]]()
    for history in histories:
        agreement = service.in_effect_among(versions, _opened(history.events), default)
        computed = _computed(
            agreement,
            history.ticket_id,
            history.ticket_type,
            history.events,
            history.incident_class,
        )
        updated, new = _reconcile(session, computed, stored.get(history.ticket_id, []))
        changed += updated
        added += new
    repository.insert_clocks(session, added)
    session.flush()
    for rows in stored.values():
        for row in rows:
            if row in session:
                session.expunge(row)
    return changed + len(added)


def _reconcile(
    session: Session, computed: list[dict[str, Any]], stored: list[Clock]
) -> tuple[int, list[dict[str, Any]]]:
    """Update or delete the stored rows to match; (rows changed, the rows still to add)."""
    wanted = {values["kind"]: values for values in computed}
    changed = 0
    for row in stored:
        fresh = wanted.pop(row.kind, None)
        if fresh is None:
            session.delete(row)
            changed += 1
        elif tuple(fresh[name] for name in FIGURES) != row.figures():
            _copy(fresh, row)
            changed += 1
    return changed, list(wanted.values())


def clocked_tickets(session: Session) -> set[uuid.UUID]:
    """The tickets that have stored clocks, in one statement: a rebuild looks up only theirs
    (after a bulk load of tickets none has; a lookup per page would then only cost)."""
    return repository.clocked_tickets(session)


def drop_clocks_except(session: Session, *, ticket_ids: set[uuid.UUID]) -> int:
    """Delete the stored clocks of every ticket not named (no such ticket); returns how many."""
    strays = repository.clocked_tickets(session) - ticket_ids
    return repository.delete_clocks(session, strays) if strays else 0


def stored_clocks(session: Session, *, ticket_id: uuid.UUID) -> list[Clock]:
    """The ticket's stored clocks (none when its type is not counted)."""
    return repository.clocks(session, ticket_id)


def clocks_of(session: Session, *, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Clock]]:
    """The stored clocks of many tickets at once, by ticket, for a list that shows time left."""
    found: dict[uuid.UUID, list[Clock]] = {}
    for row in repository.clocks_of(session, ticket_ids) if ticket_ids else []:
        found.setdefault(row.ticket_id, []).append(row)
    return found


def _computed(
    agreement: Agreement,
    ticket_id: uuid.UUID,
    ticket_type: str,
    events: Sequence[Event],
    incident_class: str | None,
) -> list[dict[str, Any]]:
    """The column values of the ticket's clocks (plain values: a rebuild inserts them in
    bulk, without building a row object for each)."""
    if not terms.counts(agreement, ticket_type):
        return []
    as_of = max(event.at for event in events)
    results = _results(agreement, events, as_of, incident_class)
    rejected = _last_status(events) == terms.S.rejected.value
    return [
        {
            "ticket_id": ticket_id,
            "kind": result.kind,
            "agreement_id": agreement.id,
            "priority": result.priority,
            "state": result.state,
            "elapsed_seconds": result.elapsed_seconds,
            "target_seconds": result.target_seconds,
            "remaining_seconds": result.remaining_seconds,
            "deadline": result.deadline,
            "breached_at": result.breached_at,
            "stopped_at": result.stopped_at,
            "warn_at": result.warn_at,
            "decided_at": clock.decided_at(result.breached_at, result.stopped_at),
            "rejected": rejected,
            "as_of": as_of,
        }
        for result in results
    ]


def _results(
    agreement: Agreement, events: Sequence[Event], now: datetime, incident_class: str | None
) -> list[clock.ClockResult]:
    calendar, policy = terms.calendar(agreement), terms.policy(agreement)
    kinds = clock.kinds_for(incident_class)
    return [clock.compute(calendar, policy, events, kind=k, now=now) for k in kinds]


def _last_status(events: Sequence[Event]) -> str | None:
    """The ticket's status after its history (a rejected ticket stays rejected)."""
    statuses = [event.status for event in events if event.status is not None]
    return statuses[-1] if statuses else None


def _opened(events: Sequence[Event]) -> datetime:
    for event in events:
        if event.kind == "opened":
            return event.at
    raise ValueError("a ticket's history starts with its 'opened' event")


def _copy(source: dict[str, Any], target: Clock) -> None:
    for name in FIGURES:
        setattr(target, name, source[name])
    target.computed_at = utcnow()


def explain(
    session: Session,
    *,
    ticket_id: uuid.UUID,
    ticket_type: str,
    events: Sequence[Event],
    now: datetime | None = None,
    incident_class: str | None = None,
) -> schemas.SlaExplanation:
    """The ticket's clocks as of `now` (default: now), with their timelines and terms."""
    latest = max(event.at for event in events)
    as_of = max(now or utcnow(), latest)
    agreement = service.in_effect(session, _opened(events))
    counted = terms.counts(agreement, ticket_type)
    results = _results(agreement, events, as_of, incident_class) if counted else []
    return schemas.SlaExplanation(
        ticket_id=ticket_id,
        counted=counted,
        as_of=as_of,
        agreement=schemas.agreement_ref(agreement),
        service_hours=schemas.service_hours(agreement),
        holidays=schemas.holidays(agreement),
        clocks=[schemas.clock_public(result) for result in results],
    )
