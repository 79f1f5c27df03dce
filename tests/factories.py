"""Plain factory functions for tests."""

from __future__ import annotations

import itertools

from core.db import unit_of_work
from core.identity.service import create_api_key
from core.tenancy import Tenant
from services.catalogue import permissions as catalogue
from services.catalogue.models import CatalogueEntry, ServiceDomain

_seq = itertools.count(1)
ALL_CATALOGUE = [catalogue.READ, catalogue.WRITE]


def make_tenant(slug: str | None = None) -> Tenant:
    tenant = Tenant(slug=slug or f"tenant-{next(_seq)}", name="Test tenant")
    with unit_of_work(None) as session:
        session.add(tenant)
    return tenant


def make_token(tenant: Tenant, permissions: list[str] | None = None) -> str:
    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(
            session, name="test", permissions=ALL_CATALOGUE if permissions is None else permissions
        )
    return token


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def make_entries(tenant: Tenant, count: int, prefix: str = "S") -> list[CatalogueEntry]:
    entries = [
        CatalogueEntry(
            code=f"{prefix}{i:04d}", name=f"Service {i:04d}", domain=ServiceDomain.B, subdomain=3
        )
        for i in range(count)
    ]
    with unit_of_work(tenant.id) as session:
        session.add_all(entries)
    return entries
