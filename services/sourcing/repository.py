"""All SQL of the sourcing register. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from core.api.pagination import keyset, typed_cursor
from services.sourcing.models import (
    Certification,
    Contract,
    Plan,
    PlanKind,
    SourcingWarning,
    Supplier,
)

Record = TypeVar("Record", Contract, Certification, Plan)


def get(session: Session, supplier_id: uuid.UUID, *, for_update: bool = False) -> Supplier | None:
    """One supplier; `for_update` locks it for a write that reads it first."""
    stmt = select(Supplier).where(Supplier.id == supplier_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def name_taken(session: Session, name: str, *, besides: uuid.UUID | None = None) -> bool:
    """Whether another supplier has this name: names are unique per tenant."""
    stmt = select(Supplier.id).where(Supplier.name == name)
    if besides is not None:
        stmt = stmt.where(Supplier.id != besides)
    return session.exec(stmt).first() is not None


def page(session: Session, *, limit: int, after: list[Any] | None) -> list[Supplier]:
    """A page of suppliers by name."""
    typed = typed_cursor(after, timestamp=False)
    stmt = keyset(
        select(Supplier), col(Supplier.name), col(Supplier.id), descending=False, after=typed
    )
    return list(session.exec(stmt.limit(limit)))


def records(session: Session, model: type[Record], supplier_id: uuid.UUID) -> list[Record]:
    """A supplier's records of one kind (contracts, certifications, plans), oldest first."""
    stmt = select(model).where(model.supplier_id == supplier_id)
    return list(session.exec(stmt.order_by(col(model.created_at), col(model.id))))


def records_of(
    session: Session, model: type[Record], supplier_ids: list[uuid.UUID]
) -> list[Record]:
    """The records of several suppliers in one query, oldest first."""
    if not supplier_ids:
        return []
    stmt = select(model).where(col(model.supplier_id).in_(supplier_ids))
    return list(session.exec(stmt.order_by(col(model.created_at), col(model.id))))


def subsuppliers(session: Session, supplier_id: uuid.UUID) -> list[Supplier]:
    """The suppliers a supplier subcontracts to, by name."""
    stmt = select(Supplier).where(Supplier.parent_id == supplier_id)
    return list(session.exec(stmt.order_by(col(Supplier.name))))


def record(
    session: Session, model: type[Record], supplier_id: uuid.UUID, record_id: uuid.UUID
) -> Record | None:
    """One record of a supplier, locked for the write that reads it."""
    stmt = select(model).where(model.supplier_id == supplier_id, model.id == record_id)
    return session.exec(stmt.with_for_update()).first()


def contracts_ending_from(session: Session, first: date) -> list[Contract]:
    """Contracts that end on or after `first` (the sweep picks what is due)."""
    return list(session.exec(select(Contract).where(col(Contract.ends_on) >= first)))


def certifications_expiring_by(session: Session, last: date) -> list[Certification]:
    """Certifications that expire by `last`, for the warning sweep."""
    return list(session.exec(select(Certification).where(col(Certification.expires_on) <= last)))


def exit_plans(session: Session) -> list[Plan]:
    """Every exit plan of the tenant, for the untested-plan warning."""
    return list(session.exec(select(Plan).where(Plan.kind == PlanKind.exit)))


def warned(session: Session, subject_id: uuid.UUID, kind: str, due_on: date) -> bool:
    """Whether this warning was made already: the sweep warns once per due date."""
    stmt = select(SourcingWarning.id).where(
        SourcingWarning.subject_id == subject_id,
        SourcingWarning.kind == kind,
        SourcingWarning.due_on == due_on,
    )
    return session.exec(stmt).first() is not None


def warnings_page(
    session: Session, *, limit: int, after: list[Any] | None
) -> list[SourcingWarning]:
    typed = typed_cursor(after, timestamp=True)
    stmt = keyset(
        select(SourcingWarning),
        col(SourcingWarning.created_at),
        col(SourcingWarning.id),
        descending=True,
        after=typed,
    )
    return list(session.exec(stmt.limit(limit)))


def all_suppliers(session: Session) -> list[Supplier]:
    """Every supplier of the tenant by name (a register is hundreds, not millions)."""
    return list(session.exec(select(Supplier).order_by(col(Supplier.name), col(Supplier.id))))
