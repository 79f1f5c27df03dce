"""Ids that a ticket, problem or alert rule refers to must exist in the caller's tenant."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.errors import InvalidInput
from services.catalogue.public import service_exists


def check_service(session: Session, service_id: uuid.UUID | None) -> None:
    """400 when `service_id` names no service of this tenant; another tenant's service and a
    service that does not exist get the same answer, so the caller learns nothing."""
    if service_id is None or service_exists(session, service_id):
        return
    raise InvalidInput(
        "The service is not in this organisation's service catalogue.",
        invalidParams=[{"name": "serviceId", "pointer": "/serviceId", "reason": "unknown service"}],
    )
