"""Business operations on the service catalogue. Never commits: the unit of work does."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from cmdb.public import check_ci
from core.api.etag import check_if_match
from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from services.catalogue import permissions, repository
from services.catalogue.errors import DuplicateCode, EntryNotFound
from services.catalogue.models import CatalogueEntry, ServiceDomain, ServiceStatus
from services.catalogue.schemas import ServiceCreate, ServiceUpdate


def get_entry(session: Session, actor: Principal, *, entry_id: uuid.UUID) -> CatalogueEntry:
    """The entry, or EntryNotFound (also for another tenant's id)."""
    actor.require(permissions.READ)
    entry = repository.get(session, entry_id)
    if entry is None:
        raise EntryNotFound(f"No service with id {entry_id}.")
    return entry


def list_entries(
    session: Session,
    actor: Principal,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
    status: ServiceStatus | None = None,
    domain: ServiceDomain | None = None,
) -> tuple[list[CatalogueEntry], list[Any] | None]:
    """One page in stable order, plus the cursor values of its last row when more follow."""
    actor.require(permissions.READ)
    rows = repository.page(
        session, sort=sort, limit=limit + 1, after=after, status=status, domain=domain
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1], sort) if more else None


def create_entry(session: Session, actor: Principal, *, data: ServiceCreate) -> CatalogueEntry:
    """Add an entry; codes are unique within a tenant."""
    actor.require(permissions.WRITE)
    if repository.code_taken(session, data.code):
        raise DuplicateCode(f"The code {data.code} is already used by another service.")
    check_ci(session, data.ci_id)
    entry = CatalogueEntry(**data.model_dump())
    session.add(entry)
    session.flush()
    return entry


def update_entry(
    session: Session,
    actor: Principal,
    *,
    entry_id: uuid.UUID,
    changes: ServiceUpdate,
    if_match: str | None,
) -> CatalogueEntry:
    """Apply the given fields, only if `if_match` names the version now stored; invalid
    input is 400 before any version check, naming every field that may not be removed."""
    actor.require(permissions.WRITE)
    entry = get_entry(session, actor, entry_id=entry_id)
    fields = changes.model_dump(exclude_unset=True)
    removed = [name for name, value in fields.items() if value is None and name != "ci_id"]
    if removed:
        raise InvalidInput(
            f"{', '.join(removed)} cannot be removed.",
            invalidParams=[
                {"name": name, "pointer": f"/{name}", "reason": "may not be null"}
                for name in removed
            ],
        )
    check_ci(session, fields.get("ci_id"))
    check_if_match(if_match, entry.version)
    for field, value in fields.items():
        setattr(entry, field, value)
    if session.is_modified(entry):
        entry.updated_at = utcnow()
        session.flush()
    return entry
