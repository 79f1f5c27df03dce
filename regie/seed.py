"""Tenants, API keys and the demo data, for the CLI."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.db import unit_of_work
from core.identity.service import create_api_key
from core.tenancy import Tenant, TenantKind
from services.catalogue.models import CatalogueEntry, ServiceDomain
from tickets.models import AssignmentGroup, Line

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
DEMO_SERVICES = [
    ("E14-WORKPLACE", "Digital workplace", ServiceDomain.E, 14),
    ("D10-CASE", "Case management system", ServiceDomain.D, 10),
    ("B3-SERVICEDESK", "Service desk", ServiceDomain.B, 3),
    ("B5-ACCESS", "Access management", ServiceDomain.B, 5),
    ("D11-SAAS", "SaaS client portal", ServiceDomain.D, 11),
]

# The demo's service desk manager, to whom hierarchical escalations of every demo group go.
DEMO_MANAGER = (uuid.UUID("0193a5c0-0000-7000-8000-00000000d3e0"), "Demo service manager")

DEMO_GROUPS = [
    ("Servicedesk", Line.first),
    ("Functioneel beheer", Line.second),
    ("Technisch beheer", Line.third),
    ("Hosting partner", Line.third_party),
]


def create_tenant(
    *, slug: str, name: str, entra_tenant_id: str | None = None, supplier: bool = False
) -> Tenant:
    if not SLUG.match(slug):
        raise ValueError("slug must be 2-40 characters of a-z, 0-9 and -")
    tenant = Tenant(
        slug=slug,
        name=name,
        entra_tenant_id=uuid.UUID(entra_tenant_id) if entra_tenant_id else None,
        kind=TenantKind.supplier if supplier else TenantKind.client,
    )
    try:
        with unit_of_work(None) as session:
            session.add(tenant)
    except IntegrityError:
        raise ValueError(f"a tenant with slug {slug!r} or that Entra id exists") from None
    return tenant


def list_tenants() -> list[Tenant]:
    with unit_of_work(None) as session:
        return list(session.exec(select(Tenant).order_by(Tenant.slug)))


def tenant_by_slug(slug: str) -> Tenant:
    with unit_of_work(None) as session:
        tenant = session.exec(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None:
        raise LookupError(f"no tenant {slug!r}")
    return tenant


def issue_api_key(
    *, tenant_slug: str, name: str, permissions: list[str], expires_at: datetime | None
) -> str:
    tenant = tenant_by_slug(tenant_slug)
    import regie.roles  # noqa: F401  (imports, and so declares, every domain's permissions)

    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(
            session, name=name, permissions=permissions, expires_at=expires_at
        )
    return token


def seed_demo() -> bool:
    """Create the demo tenant and its catalogue when the database has no tenant at all."""
    with unit_of_work(None) as session:
        if session.exec(select(Tenant.id)).first() is not None:
            return False
    tenant = create_tenant(slug="demo", name="Demo municipality")
    with unit_of_work(tenant.id) as session:
        for code, title, domain, sub in DEMO_SERVICES:
            session.add(CatalogueEntry(code=code, name=title, domain=domain, subdomain=sub))
        for name, line in DEMO_GROUPS:
            session.add(
                AssignmentGroup(
                    name=name, line=line, manager_id=DEMO_MANAGER[0], manager_name=DEMO_MANAGER[1]
                )
            )
    return True
