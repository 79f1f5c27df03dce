"""Operations behind `regie audit ...`: each tenant in its own unit of work."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from audit import checkpoints, retention, service
from audit.verify import CheckpointRecord, Verdict
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


def verify(slug: str | None = None, witness: Path | None = None) -> list[tuple[Tenant, Verdict]]:
    """Recompute every chosen tenant's chain and tree and check every checkpoint, also those
    of a client's witness file (each line counts for the tenant it names)."""
    copies = _witness(witness) if witness else []
    chosen = tenants(slug)
    if witness and not {str(t.id) for t in chosen} & {cp.tenant_id for cp in copies}:
        raise LookupError(f"{witness} holds no checkpoint of the tenants verified")
    out = []
    for tenant in chosen:
        mine = [cp for cp in copies if cp.tenant_id == str(tenant.id)]
        with unit_of_work(tenant.id, read_only=True) as session:
            out.append((tenant, service.verify_tenant(session, tenant.id, mine)))
    return out


def _witness(path: Path) -> list[CheckpointRecord]:
    try:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        return [checkpoints.from_json(json.loads(line)) for line in lines]
    except OSError as exc:
        raise LookupError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise LookupError(f"{path} is not a file of signed checkpoints") from None


def checkpoint(slug: str | None = None) -> list[tuple[Tenant, int]]:
    """Sign each chosen tenant's tree head; the size signed, 0 when nothing was new."""
    out = []
    for tenant in tenants(slug):
        with unit_of_work(tenant.id) as session:
            cp = checkpoints.make_checkpoint(session, tenant.id)
        out.append((tenant, cp.tree_size if cp else 0))
    return out


def set_retention(slug: str, days: int) -> None:
    """Set how many days a tenant's entries are kept (`regie audit retention`)."""
    tenant = tenants(slug)[0]
    with unit_of_work(tenant.id) as session:
        retention.set_retention(session, tenant.id, days=days)


def prune(slug: str | None = None) -> list[tuple[Tenant, int]]:
    """Prune each tenant's expired entries, up to a checkpoint the rest still verifies from."""
    out = []
    for tenant in tenants(slug):
        with unit_of_work(tenant.id) as session:
            out.append((tenant, retention.prune(session, tenant.id)))
    return out
