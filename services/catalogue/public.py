"""What other domains may use of the catalogue (checking the services they refer to)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from services.catalogue import repository


def service_exists(session: Session, service_id: uuid.UUID) -> bool:
    """Whether the id names a service of the session's tenant, so that a ticket never points
    at another client's service (the session scopes the look-up to its tenant)."""
    return repository.get(session, service_id) is not None
