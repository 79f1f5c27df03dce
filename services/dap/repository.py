"""All SQL of the DAP. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, func, literal
from sqlmodel import Session, col, select

from services.dap.models import DapVersion


def version(session: Session, version_id: uuid.UUID) -> DapVersion | None:
    """One DAP version of the tenant."""
    return session.exec(select(DapVersion).where(DapVersion.id == version_id)).first()


def versions(session: Session) -> list[DapVersion]:
    """Every version, newest (highest number) first."""
    return list(session.exec(select(DapVersion).order_by(col(DapVersion.number).desc())))


def in_effect(session: Session, day: date) -> DapVersion | None:
    """The version in effect on `day`: the latest date not after it, then the highest number."""
    stmt = (
        select(DapVersion)
        .where(DapVersion.effective_from <= day)
        .order_by(col(DapVersion.effective_from).desc(), col(DapVersion.number).desc())
    )
    return session.exec(stmt).first()


def effective_between(session: Session, first: date, last: date) -> list[DapVersion]:
    """The versions that may be in effect on some day first..last (ends included), in one
    statement: from the latest that took effect by `first` (or `first` itself) up to `last`."""
    latest_before = (
        select(func.max(DapVersion.effective_from))
        .where(DapVersion.effective_from <= first)
        .scalar_subquery()
    )
    floor = func.coalesce(latest_before, literal(first, Date))
    stmt = (
        select(DapVersion)
        .where(DapVersion.effective_from >= floor, DapVersion.effective_from <= last)
        .order_by(col(DapVersion.effective_from), col(DapVersion.number))
    )
    return list(session.exec(stmt))


def next_number(session: Session) -> int:
    """The next DAP version number; a racing insert fails on the unique number."""
    highest = session.exec(select(func.max(DapVersion.number))).one()
    return (highest or 0) + 1
