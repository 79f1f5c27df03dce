"""Business operations on the sourcing register. Never commits."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cmdb import public as cmdb
from core.api.etag import check_if_match
from core.api.pagination import split_page
from core.errors import InvalidInput, refuse_nulls
from core.identity.permissions import Principal
from core.types import utcnow
from services.sourcing import permissions, repository, warnings
from services.sourcing.errors import DuplicateSupplier, RecordNotFound, SupplierNotFound
from services.sourcing.models import Contract, SourcingWarning, Supplier
from services.sourcing.repository import Record
from services.sourcing.schemas import SupplierCreate, SupplierUpdate
from services.sourcing.warnings import Due

# Supplier fields a merge patch may not remove (the others may be set to null).
_KEPT = ("name", "delivery_countries", "processing_countries")


def require_read(actor: Principal) -> None:
    """Reading the register: readers, and those who keep it."""
    if not (actor.can(permissions.READ) or actor.can(permissions.MANAGE)):
        actor.require(permissions.READ)


def get_supplier(
    session: Session, actor: Principal, *, supplier_id: uuid.UUID, for_update: bool = False
) -> Supplier:
    """The supplier, or SupplierNotFound (also for another tenant's id)."""
    require_read(actor)
    supplier = repository.get(session, supplier_id, for_update=for_update)
    if supplier is None:
        raise SupplierNotFound(f"No supplier with id {supplier_id}.")
    return supplier


def list_suppliers(
    session: Session, actor: Principal, *, limit: int, after: list[Any] | None
) -> tuple[list[Supplier], list[Any] | None]:
    """One page by name, plus the cursor values of its last row when more follow."""
    require_read(actor)
    rows = repository.page(session, limit=limit + 1, after=after)
    return split_page(rows, limit, lambda s: [s.name, str(s.id)])


def create_supplier(session: Session, actor: Principal, *, data: SupplierCreate) -> Supplier:
    """Register a supplier (or a sub-supplier of one); names are unique in the tenant."""
    actor.require(permissions.MANAGE)
    if repository.name_taken(session, data.name):
        raise DuplicateSupplier(f"A supplier named {data.name} is already registered.")
    _check_parent(session, None, data.parent_id)
    cmdb.check_ci(session, data.ci_id)
    supplier = Supplier(**data.model_dump())
    try:
        with session.begin_nested():
            session.add(supplier)
    except IntegrityError:
        raise DuplicateSupplier(f"A supplier named {data.name} was registered meanwhile.") from None
    return supplier


def update_supplier(
    session: Session,
    actor: Principal,
    *,
    supplier_id: uuid.UUID,
    changes: SupplierUpdate,
    if_match: str | None,
) -> Supplier:
    """Apply the given fields, only if `if_match` names the version now stored; a supplier
    never ends up its own (indirect) sub-supplier."""
    actor.require(permissions.MANAGE)
    supplier = get_supplier(session, actor, supplier_id=supplier_id, for_update=True)
    given = changes.model_dump(exclude_unset=True)
    refuse_nulls(given, _KEPT)
    if "parent_id" in given:
        _check_parent(session, supplier.id, given["parent_id"])
    if "ci_id" in given:
        cmdb.check_ci(session, given["ci_id"])
    check_if_match(if_match, supplier.version)
    name = given.get("name")
    if name and repository.name_taken(session, name, besides=supplier.id):
        raise DuplicateSupplier(f"A supplier named {name} is already registered.")
    return _apply(session, supplier, given)


def _check_parent(session: Session, own: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
    """400 naming parentId when it is no supplier of this tenant or would make a cycle."""
    seen: set[uuid.UUID] = {own} if own else set()
    current = parent_id
    while current is not None:
        parent = repository.get(session, current)
        reason = "unknown supplier" if parent is None else "would make a cycle"
        if parent is None or current in seen:
            raise InvalidInput(
                "The parent must be another supplier of this organisation, not below this one.",
                invalidParams=[{"name": "parentId", "pointer": "/parentId", "reason": reason}],
            )
        seen.add(current)
        current = parent.parent_id


def list_records(
    session: Session, actor: Principal, *, supplier_id: uuid.UUID, model: type[Record]
) -> list[Record]:
    """The supplier's contracts, certifications or plans, oldest first."""
    get_supplier(session, actor, supplier_id=supplier_id)
    return repository.records(session, model, supplier_id)


def records_of(
    session: Session, actor: Principal, *, supplier_ids: list[uuid.UUID], model: type[Record]
) -> list[Record]:
    """The contracts, certifications or plans of a page of suppliers, asked for at once."""
    require_read(actor)
    return repository.records_of(session, model, supplier_ids)


def subsuppliers(session: Session, actor: Principal, *, supplier_id: uuid.UUID) -> list[Supplier]:
    """The suppliers registered as this one's sub-suppliers, by name."""
    get_supplier(session, actor, supplier_id=supplier_id)
    return repository.subsuppliers(session, supplier_id)


def add_record(
    session: Session,
    actor: Principal,
    *,
    supplier_id: uuid.UUID,
    model: type[Record],
    data: BaseModel,
) -> Record:
    """Add a contract, certification or plan to the supplier."""
    actor.require(permissions.MANAGE)
    get_supplier(session, actor, supplier_id=supplier_id)
    row = model(supplier_id=supplier_id, **data.model_dump())
    _check_dates(row)
    session.add(row)
    session.flush()
    return row


def update_record(
    session: Session,
    actor: Principal,
    *,
    supplier_id: uuid.UUID,
    model: type[Record],
    record_id: uuid.UUID,
    changes: BaseModel,
    if_match: str | None,
) -> Record:
    """Apply the given fields to the supplier's record, only if `if_match` names its version."""
    actor.require(permissions.MANAGE)
    get_supplier(session, actor, supplier_id=supplier_id)
    row = repository.record(session, model, supplier_id, record_id)
    if row is None:
        raise RecordNotFound(f"The supplier has no such record {record_id}.")
    given = changes.model_dump(exclude_unset=True)
    refuse_nulls(given, tuple(k for k in given if k not in ("ends_on", "last_tested_on")))
    check_if_match(if_match, row.version)
    for field, value in given.items():
        setattr(row, field, value)
    _check_dates(row)
    return _apply(session, row, {})


def _apply(session: Session, row: Any, given: dict[str, Any]) -> Any:
    for field, value in given.items():
        setattr(row, field, value)
    if session.is_modified(row):
        row.updated_at = utcnow()
        session.flush()
    return row


def _check_dates(row: Any) -> None:
    if isinstance(row, Contract) and row.ends_on is not None and row.ends_on < row.starts_on:
        raise InvalidInput(
            "A contract cannot end before it starts.",
            invalidParams=[{"name": "endsOn", "pointer": "/endsOn", "reason": "before startsOn"}],
        )


def current_warnings(session: Session, actor: Principal, *, today: date) -> list[Due]:
    """What calls for a warning today, whether or not the daily sweep has sent it yet: what a
    reader of the register must see now."""
    require_read(actor)
    return list(warnings.due(session, today))


def list_warnings(
    session: Session, actor: Principal, *, limit: int, after: list[Any] | None
) -> tuple[list[SourcingWarning], list[Any] | None]:
    """One page of the warnings given, newest first."""
    require_read(actor)
    rows = repository.warnings_page(session, limit=limit + 1, after=after)
    return split_page(rows, limit, lambda w: [w.created_at.isoformat(), str(w.id)])
