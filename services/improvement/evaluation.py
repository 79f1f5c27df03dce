"""Evaluating a realised item: its KPI figure before and after, both computed by the KPI
package for the periods chosen (never typed in), and whether the target was reached.

The product owner's evaluation is also the acceptance of the realised item: it moves the
item from realised to evaluated, whether or not the target was reached (the record says)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from services.improvement import permissions, repository
from services.improvement.errors import ImprovementNotFound, NotEvaluable
from services.improvement.figures import KpiFigure, reached, value_of
from services.improvement.models import Evaluation, ImprovementEventKind, ImprovementStatus, Item
from services.improvement.schemas import ImprovementEvaluationCreate
from services.improvement.service import get_item, problem, record, touch
from services.improvement.sides import refuse_supplier_side
from services.improvement.workflow import set_status
from services.kpi import public as kpi


def _periods(data: ImprovementEvaluationCreate) -> tuple[kpi.Period, kpi.Period]:
    """Both periods as the KPI package reads them; 400 naming every one that will not do."""
    found, parsed = [], {}
    for name in ("before", "after"):
        try:
            parsed[name] = kpi.parse_period(getattr(data, name))
        except InvalidInput:
            found.append(problem(name, "give a month (2026-11), a quarter or a year"))
    if not found:
        before, after = parsed["before"], parsed["after"]
        if before.end > after.start:
            found.append(problem("before", "must end before the after period starts"))
        if after.end > utcnow():
            found.append(problem("after", "must be over, so its figures are complete"))
    if found:
        raise InvalidInput("The periods cannot be compared.", invalidParams=found)
    return parsed["before"], parsed["after"]


def evaluate(
    session: Session, actor: Principal, *, item_id: uuid.UUID, data: ImprovementEvaluationCreate
) -> Evaluation:
    """Compute the item's KPI for both periods, record whether the target was reached, and
    end the item as evaluated; 403 for the supplier's side, 409 unless it is realised and
    names a KPI and a target."""
    actor.require(permissions.DECIDE)
    item = get_item(session, actor, item_id=item_id, for_update=True)
    refuse_supplier_side(session, actor, item)
    if item.status != ImprovementStatus.realised:
        raise NotEvaluable(f"Only a realised improvement is evaluated; it is {item.status.value}.")
    if item.kpi is None or item.target is None:
        raise NotEvaluable("The improvement names no KPI figure and target to evaluate against.")
    row = _measure(session, item, *_periods(data), evaluated_by=actor.label)
    session.add(row)
    set_status(session, actor, item, ImprovementStatus.evaluated)
    record(
        session,
        actor,
        item,
        ImprovementEventKind.evaluated,
        before=row.before_period,
        after=row.after_period,
        beforeValue=row.before_value,
        afterValue=row.after_value,
        reached=row.reached,
    )
    touch(session, item)
    return row


def _measure(
    session: Session, item: Item, before: kpi.Period, after: kpi.Period, *, evaluated_by: str
) -> Evaluation:
    """The item's KPI figure in both periods, as the KPI package computes it."""
    assert item.kpi is not None and item.target is not None
    name = KpiFigure(item.kpi)
    after_value = value_of(kpi.figures(session, period=after), name)
    return Evaluation(
        item_id=item.id,
        kpi=item.kpi,
        before_period=before.text,
        after_period=after.text,
        before_value=value_of(kpi.figures(session, period=before), name),
        after_value=after_value,
        baseline=item.baseline,
        target=item.target,
        reached=reached(name, after_value, item.target),
        evaluated_by=evaluated_by,
    )


def get_evaluation(session: Session, actor: Principal, *, item_id: uuid.UUID) -> Evaluation:
    """The item's evaluation, or 404 while it has none."""
    get_item(session, actor, item_id=item_id)
    row = repository.evaluation(session, item_id)
    if row is None:
        raise ImprovementNotFound("The improvement has not been evaluated.")
    return row
