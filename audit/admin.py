"""Operations behind `regie audit ...`: each tenant in its own unit of work."""

from __future__ import annotations

from sqlmodel import select

from audit import checkpoints, retention, service
from audit.verify import Verdict
from core.db import unit_of_work
from core.tenancy import Tenant


def tenants(slug: str | None = None) -> list[Tenant]:
    """All tenants, or the one with `slug` (LookupError when there is none)."""
    with unit_of_work(None, read_only=True) as session:
        stmt = select(Tenant).order_by(Tenant.slug)
        if slug is not None:
            stmt = stmt.where(Tenant.slug == slug)
        found = list(session.exec(stmt))
    if slug is not None and not found:
        raise LookupError(f"no tenant with slug {slug!r}")
    return found


def verify(slug: str | None = None) -> list[tuple[Tenant, Verdict]]:
    """Recompute every chosen tenant's chain and tree and check every checkpoint."""
    out = []
    for tenant in tenants(slug):
        with unit_of_work(tenant.id, read_only=True) as session:
            out.append((tenant, service.verify_tenant(session, tenant.id)))
    return out


def checkpoint(slug: str | None = None) -> list[tuple[Tenant, int]]:
    """Sign each chosen tenant's tree head; the size signed, 0 when nothing was new."""
    out = []
    for tenant in tenants(slug):
        with unit_of_work(tenant.id) as session:
            cp = checkpoints.make_checkpoint(session, tenant.id)
        out.append((tenant, cp.tree_size if cp else 0))
    return out


def set_retention(slug: str, days: int) -> None:
    tenant = tenants(slug)[0]
    with unit_of_work(tenant.id) as session:
        retention.set_retention(session, tenant.id, days=days)


def prune(slug: str | None = None) -> list[tuple[Tenant, int]]:
    out = []
    for tenant in tenants(slug):
        with unit_of_work(tenant.id) as session:
            out.append((tenant, retention.prune(session, tenant.id)))
    return out
