"""Ids that a ticket, problem or alert rule refers to must exist in the caller's tenant."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from cmdb.public import ci_exists
from core.errors import InvalidInput
from services.catalogue.public import service_exists
from services.sourcing import public as sourcing
from tickets.schemas import Forwarding


def check_service(session: Session, service_id: uuid.UUID | None) -> None:
    """400 when `service_id` names no service of this tenant; another tenant's service and a
    service that does not exist get the same answer, so the caller learns nothing."""
    check_links(session, service_id=service_id, ci_id=None)


def check_links(session: Session, *, service_id: uuid.UUID | None, ci_id: uuid.UUID | None) -> None:
    """400 naming each of the service and the CI that is not this tenant's, both at once."""
    unknown = []
    if service_id is not None and not service_exists(session, service_id):
        unknown.append(("serviceId", "unknown service"))
    if ci_id is not None and not ci_exists(session, ci_id):
        unknown.append(("ciId", "unknown configuration item"))
    if not unknown:
        return
    raise InvalidInput(
        "The service is not in this organisation's service catalogue."
        if [n for n, _ in unknown] == ["serviceId"]
        else "A service or configuration item named is not this organisation's.",
        invalidParams=[{"name": n, "pointer": f"/{n}", "reason": r} for n, r in unknown],
    )


def forwarded_to(session: Session, data: Forwarding) -> str:
    """The third party's name: the register's supplier (400 naming supplierId when it is not
    this tenant's), or the name given; one of the two is needed."""
    if data.supplier_id is None:
        if data.third_party is None:
            raise InvalidInput(
                "Name the third party, or pick a supplier from the register.",
                invalidParams=[
                    {"name": n, "pointer": f"/{n}", "reason": "give supplierId or thirdParty"}
                    for n in ("supplierId", "thirdParty")
                ],
            )
        return data.third_party
    name = sourcing.supplier_name(session, data.supplier_id)
    if name is None:
        raise InvalidInput(
            "The supplier is not in this organisation's sourcing register.",
            invalidParams=[
                {"name": "supplierId", "pointer": "/supplierId", "reason": "unknown supplier"}
            ],
        )
    return data.third_party or name
