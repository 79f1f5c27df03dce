"""What other domains may use of the catalogue (checking the services they refer to, and
finding those a CI stands for)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from services.catalogue import permissions, repository
from services.catalogue.models import CatalogueEntry


def service_exists(session: Session, service_id: uuid.UUID) -> bool:
    """Whether the id names a service of the session's tenant, so that a ticket never points
    at another client's service (the session scopes the look-up to its tenant)."""
    return repository.get(session, service_id) is not None


READ = permissions.READ


def services_for_cis(session: Session, ci_ids: list[uuid.UUID]) -> list[CatalogueEntry]:
    """The session tenant's services that stand for one of these CIs, by code (what an
    impact analysis names as affected)."""
    return repository.for_cis(session, ci_ids)
