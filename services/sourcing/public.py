"""What the domains above may ask of the sourcing register (forwarding a ticket to a third
party names a supplier from it)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from services.sourcing import repository


def supplier_name(session: Session, supplier_id: uuid.UUID) -> str | None:
    """The name of the session tenant's supplier with this id; None for an unknown id and for
    another tenant's supplier alike."""
    supplier = repository.get(session, supplier_id)
    return supplier.name if supplier else None
