"""All SQL of alert intake. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tickets.alerts.models import AlertCiRule, AlertFold, AlertRule, AlertSettings
from tickets.models import Ticket


def open_folds(session: Session, fingerprints: list[str]) -> list[tuple[AlertFold, Ticket]]:
    """The open folds of these fingerprints with their incidents, in one indexed query.

    Locked in fingerprint order, so two payloads never wait on each other in a circle."""
    stmt = (
        select(AlertFold, Ticket)
        .join(Ticket, col(Ticket.id) == col(AlertFold.ticket_id))
        .where(col(AlertFold.fingerprint).in_(fingerprints), col(AlertFold.is_open).is_(True))
        .order_by(col(AlertFold.fingerprint))
        .with_for_update(of=AlertFold)
    )
    return [(fold, ticket) for fold, ticket in session.exec(stmt)]


def reserve(session: Session, fold: AlertFold) -> bool:
    """Insert a new open fold; False when another transaction holds that fingerprint open.

    On PostgreSQL the insert waits for a concurrent one with the same fingerprint to end,
    so the caller can then read the winner's fold."""
    try:
        with session.begin_nested():
            session.add(fold)
            session.flush()
    except IntegrityError:
        return False
    return True


def settings(session: Session) -> AlertSettings | None:
    """The tenant's stored alert settings, None when none were saved."""
    return session.exec(select(AlertSettings)).first()


def rules(session: Session) -> list[AlertRule]:
    """The tenant's alert rules in the order they are tried."""
    stmt = select(AlertRule).order_by(
        col(AlertRule.position), col(AlertRule.created_at), col(AlertRule.id)
    )
    return list(session.exec(stmt))


def rule(session: Session, rule_id: uuid.UUID) -> AlertRule | None:
    """One alert rule of the tenant (row-level security keeps others out)."""
    return session.exec(select(AlertRule).where(AlertRule.id == rule_id)).first()


def ci_rules(session: Session) -> list[AlertCiRule]:
    """Oldest first: the order in which ties between equally specific rules are broken."""
    stmt = select(AlertCiRule).order_by(col(AlertCiRule.created_at), col(AlertCiRule.id))
    return list(session.exec(stmt))


def ci_rule(session: Session, rule_id: uuid.UUID) -> AlertCiRule | None:
    """One CI rule of the tenant, for changing or removing it."""
    return session.exec(select(AlertCiRule).where(AlertCiRule.id == rule_id)).first()


def ci_rule_by_key(session: Session, match_key: str) -> AlertCiRule | None:
    """The CI rule an alert's match key names, if any."""
    return session.exec(select(AlertCiRule).where(AlertCiRule.match_key == match_key)).first()


def save_ci_rule(session: Session, rule: AlertCiRule) -> bool:
    """Insert or update the rule; False when a concurrent one took the same labels."""
    try:
        with session.begin_nested():
            session.add(rule)
            session.flush()
    except IntegrityError:
        return False
    return True
