"""All SQL of the catalogue. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from core.api.pagination import keyset, typed_cursor
from services.catalogue.models import CatalogueEntry, ServiceDomain, ServiceStatus

SORTS: dict[str, Any] = {
    "name": CatalogueEntry.name,
    "code": CatalogueEntry.code,
    "createdAt": CatalogueEntry.created_at,
}


def get(session: Session, entry_id: uuid.UUID) -> CatalogueEntry | None:
    """One catalogue entry of the tenant."""
    stmt = select(CatalogueEntry).where(CatalogueEntry.id == entry_id)
    return session.exec(stmt).first()


def code_taken(session: Session, code: str) -> bool:
    """Whether a service code is in use: codes are unique per tenant."""
    stmt = select(CatalogueEntry.id).where(CatalogueEntry.code == code)
    return session.exec(stmt).first() is not None


def page(
    session: Session,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
    status: ServiceStatus | None = None,
    domain: ServiceDomain | None = None,
) -> list[CatalogueEntry]:
    """A page of catalogue entries, optionally of one status, in keyset order."""
    descending = sort.startswith("-")
    sort_col = SORTS[sort.lstrip("-")]
    stmt = select(CatalogueEntry)
    if status is not None:
        stmt = stmt.where(CatalogueEntry.status == status)
    if domain is not None:
        stmt = stmt.where(CatalogueEntry.domain == domain)
    typed_after = (
        typed_cursor(after, timestamp=sort.endswith("createdAt")) if after is not None else None
    )
    stmt = keyset(stmt, sort_col, col(CatalogueEntry.id), descending=descending, after=typed_after)
    return list(session.exec(stmt.limit(limit)))


def cursor_values(entry: CatalogueEntry, sort: str) -> list[Any]:
    """The keyset cursor after this entry in the sort, for the next page."""
    key = sort.lstrip("-")
    value = entry.created_at.isoformat() if key == "createdAt" else getattr(entry, key)
    return [value, str(entry.id)]


def for_cis(session: Session, ci_ids: list[uuid.UUID]) -> list[CatalogueEntry]:
    """The services these CIs stand for in the CMDB, by code, in one statement."""
    stmt = select(CatalogueEntry).where(col(CatalogueEntry.ci_id).in_(ci_ids))
    return list(session.exec(stmt.order_by(col(CatalogueEntry.code)))) if ci_ids else []
