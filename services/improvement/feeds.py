"""What feeds the register besides people: a KPI month whose response or restore figure
misses its norm proposes one item per figure, once; changes that realise an item are linked
to it.

A month is proposed about from the day after it ends, by a daily task over every active
tenant. The item's `feed_key` (unique per tenant) is the guarantee: a run that dies before
commit left nothing and the next retries; a run at the same time fails its insert and rolls
back whole."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.db import unit_of_work
from core.outbox.service import active_tenant_ids
from core.types import utcnow
from services.improvement import repository, service
from services.improvement.errors import Closed, ImprovementNotFound
from services.improvement.figures import KpiFigure
from services.improvement.models import (
    FINAL,
    ChangeLink,
    ImprovementEventKind,
    ImprovementSource,
    Item,
)
from services.improvement.schemas import ImprovementCreate
from services.kpi import public as kpi

FEED = ("system:improvement-feed", "Improvement register")
CHANGES = ("system:change-management", "Change management")
WATCHED = (KpiFigure.response, KpiFigure.restore_platform, KpiFigure.restore_application)
ZONE = ZoneInfo("Europe/Amsterdam")  # where KPI months run
log = structlog.get_logger("regie.services.improvement.feeds")


def previous_month(today: date) -> date:
    """The first day of the month before `today`'s."""
    return (date(today.year, today.month, 1) - timedelta(days=1)).replace(day=1)


def propose_from_month(session: Session, month: date) -> list[Item]:
    """One proposed item for each watched figure of `month` below its norm, unless the
    register proposed it already."""
    period = kpi.parse_period(f"{month.year:04d}-{month.month:02d}")
    figures = kpi.figures(session, period=period)
    made = []
    for name in WATCHED:
        figure = getattr(figures, name.value.replace("-", "_"))
        key = f"kpi:{period.text}:{name.value}"
        if figure.meets_norm is not False or repository.by_feed_key(session, key):
            continue
        data = ImprovementCreate(
            title=f"Bring {name.value} back to its norm ({period.text})",
            description=f"In {period.text} {figure.met} of {figure.met + figure.missed} "
            f"{name.value} clocks were met: {figure.value} % against a norm of {figure.norm} %. "
            f"The tickets behind it: {figure.evidence}",
            source_kind=ImprovementSource.sla_breach_trend,
            source_month=period.text,
            kpi=name,
            baseline=figure.value,
            target=figure.norm,
        )
        made.append(service.propose(session, None, data=data, feed_key=key, proposer=FEED))
    return made


def propose_all(today: date | None = None) -> int:
    """Propose from every active tenant's previous month; returns how many items were made."""
    month = previous_month(today or utcnow().astimezone(ZONE).date())
    made = 0
    for tenant_id in active_tenant_ids():
        try:
            with unit_of_work(tenant_id) as session:
                made += len(propose_from_month(session, month))
        except IntegrityError:
            log.info("improvement_feed_overlap", tenant_id=str(tenant_id))
    return made


def link_change(session: Session, *, item_id: uuid.UUID, change_id: uuid.UUID) -> Item:
    """Record that the change realises the item (once; linking again changes nothing); a
    closed item takes no new change."""
    item = repository.get(session, item_id, for_update=True)
    if item is None:
        raise ImprovementNotFound(f"No improvement with id {item_id}.")
    link = repository.change_link(session, item_id, change_id)
    if link is None and item.status in FINAL:
        raise Closed(f"The improvement is {item.status.value}.")
    if link is None:
        link = ChangeLink(item_id=item_id, change_id=change_id)
        session.add(link)
        service.record(
            session,
            None,
            item,
            ImprovementEventKind.change_linked,
            after=str(change_id),
            by=CHANGES,
        )
        service.touch(session, item)
    return item
