"""The concentration report: which critical services depend on one supplier, and which
suppliers process data outside the EU; per tenant, and across the tenants a person serves.

The path from a service to a supplier (documented here because the register and the CMDB
meet only here):
- A supplier names the CI that stands for it in the CMDB (`Supplier.ci_id`), typically a
  SaaS service or a CI of the supplier's own class. CIs delivered by the supplier point at it
  with a `provided-by` relation; what rests on those CIs points at them in turn (depends-on,
  runs-on, part-of, connects-to).
- A critical service is a CI whose `criticality` attribute is high or vital (the built-in
  business service class carries it; a tenant's own class may too). The catalogue services
  that stand for such a CI are named with it.
- A critical service depends on a supplier *directly* when it has a relation to the
  supplier's CI, *through the graph* when it reaches that CI over current relations within
  `depth` steps (the same walk as the impact analysis, upward from the supplier's CI), and
  *as sub-supplier* when it depends on a supplier whose sub-supplier this is (the register's
  parent link): a sub-supplier's failure reaches whatever its main supplier delivers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlmodel import Session

from cmdb import public as cmdb
from core.db import unit_of_work
from core.identity.access import reach
from core.identity.permissions import Principal
from core.tenancy import TenantKind
from services.catalogue import public as catalogue
from services.sourcing import permissions, repository
from services.sourcing.models import Supplier
from services.sourcing.schemas import (
    CatalogueRef,
    Concentration,
    ConcentrationOverview,
    ConcentrationOverviewRow,
    Dependency,
    SupplierConcentration,
)

CRITICAL = ("high", "vital")
# The 27 member states of the European Union (ISO 3166-1 alpha-2), as of 2020 (the United
# Kingdom left that year). Kept here: no dependency of the project lists them, and a change
# to the Union is rare enough for a code change. EEA states (IS, LI, NO) are outside the EU.
EU = frozenset(
    (
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    )
)


def _require_read(actor: Principal) -> None:
    if not any(actor.can(p) for p in (permissions.READ, permissions.MANAGE)):
        actor.require(permissions.READ)


def concentration(session: Session, actor: Principal, *, depth: int) -> Concentration:
    """The tenant's suppliers, each with the critical services that depend on it and the
    countries outside the EU where it processes data; most depended-on first."""
    _require_read(actor)
    suppliers = repository.all_suppliers(session)
    own = _own_dependencies(session, suppliers, depth)
    critical = {c.id: c for c in cmdb.cis(session, {ci for deps in own.values() for ci in deps})}
    refs = _catalogue(session, list(critical))
    by_id = {s.id: s for s in suppliers}
    items = []
    for supplier in suppliers:
        deps = _with_parents(supplier, by_id, own)
        listed = [
            Dependency(
                ci_id=ci_id,
                name=critical[ci_id].name,
                criticality=str(critical[ci_id].attributes.get("criticality")),
                via=via,
                through_supplier_id=through,
                catalogue_services=refs.get(ci_id, []),
            )
            for ci_id, (via, through) in deps.items()
        ]
        listed.sort(key=lambda d: (d.name, str(d.ci_id)))
        outside = sorted(set(supplier.processing_countries) - EU)
        items.append(
            SupplierConcentration(
                supplier_id=supplier.id,
                name=supplier.name,
                ci_id=supplier.ci_id,
                parent_id=supplier.parent_id,
                critical_service_count=len(listed),
                critical_services=listed,
                processing_countries=sorted(supplier.processing_countries),
                outside_eu=outside,
                data_outside_eu=bool(outside),
            )
        )
    items.sort(key=lambda i: (-i.critical_service_count, i.name))
    return Concentration(depth=depth, suppliers=items)


def _own_dependencies(
    session: Session, suppliers: list[Supplier], depth: int
) -> dict[uuid.UUID, dict[uuid.UUID, str]]:
    """Per supplier with a CI: the critical CIs that reach that CI, and how (direct, graph)."""
    ci_of = {s.id: s.ci_id for s in suppliers if s.ci_id is not None}
    starts = set(ci_of.values())
    up = (cmdb.ImpactDirection.up,)
    near = cmdb.related(session, starts, depth=1, directions=up)
    far = cmdb.related(session, starts, depth=depth, directions=up)
    reached = {ci for found in far.values() for ci in found}
    critical = {c.id for c in cmdb.cis(session, reached) if _is_critical(c.attributes)}
    return {
        supplier_id: {
            ci: ("direct" if ci in near[start] else "graph") for ci in far[start] & critical
        }
        for supplier_id, start in ci_of.items()
    }


def _is_critical(attributes: dict[str, object]) -> bool:
    return attributes.get("criticality") in CRITICAL


def _with_parents(
    supplier: Supplier,
    by_id: dict[uuid.UUID, Supplier],
    own: dict[uuid.UUID, dict[uuid.UUID, str]],
) -> dict[uuid.UUID, tuple[str, uuid.UUID | None]]:
    """The supplier's own dependencies, plus those of every supplier above it."""
    found: dict[uuid.UUID, tuple[str, uuid.UUID | None]] = {
        ci: (via, None) for ci, via in own.get(supplier.id, {}).items()
    }
    seen = {supplier.id}
    parent = supplier.parent_id
    while parent is not None and parent not in seen and parent in by_id:
        seen.add(parent)
        for ci in own.get(parent, {}):
            found.setdefault(ci, ("sub-supplier", parent))
        parent = by_id[parent].parent_id
    return found


def _catalogue(session: Session, ci_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CatalogueRef]]:
    refs: dict[uuid.UUID, list[CatalogueRef]] = {}
    for entry in catalogue.services_for_cis(session, ci_ids):
        if entry.ci_id is not None:
            refs.setdefault(entry.ci_id, []).append(
                CatalogueRef(id=entry.id, code=entry.code, name=entry.name)
            )
    return refs


def overview(actor: Principal, *, depth: int) -> ConcentrationOverview:
    """One row per supplier of every client tenant where `actor` may read the register, each
    tenant read in its own unit of work (its own row-level security scope)."""
    _require_read(actor)
    rows: list[ConcentrationOverviewRow] = []
    for tenant, acting in reach(actor):
        if tenant.kind == TenantKind.supplier:
            continue
        if not any(acting.can(p) for p in (permissions.READ, permissions.MANAGE)):
            continue
        with unit_of_work(tenant.id, read_only=True) as session:
            found = concentration(session, acting, depth=depth)
        rows += _rows(tenant.slug, tenant.name, found.suppliers)
    rows.sort(key=lambda r: (r.supplier.casefold(), r.tenant))
    return ConcentrationOverview(depth=depth, items=rows)


def _rows(
    slug: str, name: str, suppliers: Iterable[SupplierConcentration]
) -> list[ConcentrationOverviewRow]:
    return [
        ConcentrationOverviewRow(
            tenant=slug,
            tenant_name=name,
            supplier_id=s.supplier_id,
            supplier=s.name,
            critical_service_count=s.critical_service_count,
            direct_count=sum(1 for d in s.critical_services if d.via == "direct"),
            critical_services=[d.name for d in s.critical_services],
            outside_eu=s.outside_eu,
        )
        for s in suppliers
    ]
