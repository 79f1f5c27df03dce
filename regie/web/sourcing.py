"""The sourcing register's pages: the suppliers with where they deliver and process data,
their contracts, certifications and exit plans, and what calls for a warning today, in words
(not in colour alone); and one supplier with its sub-suppliers.

Every read is the same service call as the sourcing API, under the signed-in person's
principal.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from babel import Locale
from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.api.pagination import decode_cursor, encode_cursor
from core.db import unit_of_work
from core.types import utcnow
from regie.web import AMSTERDAM, link, pick_language
from regie.web.tickets import CallerDep, WebRoute, page
from services.sourcing import service
from services.sourcing.errors import SupplierNotFound
from services.sourcing.models import (
    Certification,
    Contract,
    DeliveryForm,
    Plan,
    PlanKind,
    Regime,
    WarningKind,
)
from services.sourcing.warnings import Due

PAGE_SIZE = 25
WARNING_NAMES = {
    WarningKind.contract_end: "Contract ends",
    WarningKind.notice_deadline: "Notice deadline",
    WarningKind.certification_expiry: "Certificate expires",
    WarningKind.exit_plan_untested: "Exit plan not tested within a year",
}
REGIME_NAMES = {Regime.regular: "Regular", Regime.strict: "Strict"}
PLAN_NAMES = {PlanKind.exit: "Exit plan", PlanKind.continuity: "Continuity plan"}
FORM_NAMES = {
    DeliveryForm.saas: "SaaS",
    DeliveryForm.paas: "PaaS",
    DeliveryForm.iaas: "IaaS",
    DeliveryForm.managed_service: "Managed service",
    DeliveryForm.software_licence: "Software licence",
    DeliveryForm.consultancy: "Consultancy",
    DeliveryForm.other: "Other",
}

router = APIRouter(include_in_schema=False, route_class=WebRoute)


def supplier_id_of(raw: str) -> uuid.UUID:
    """A malformed id names no supplier: the same 404 as an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise SupplierNotFound("No such supplier.") from None


def today() -> date:
    """The register's day is Amsterdam's."""
    return utcnow().astimezone(AMSTERDAM).date()


@router.get("/suppliers")
def supplier_list(request: Request, caller: CallerDep, cursor: str = "") -> Response:
    """The register by supplier name, and every warning due today."""
    actor = caller.principal
    after = decode_cursor(cursor) if cursor else None
    with unit_of_work(actor.tenant_id, read_only=True) as session:
        rows, last = service.list_suppliers(session, actor, limit=PAGE_SIZE, after=after)
        ids = [s.id for s in rows]
        records: dict[type, list[Any]] = {
            Contract: service.records_of(session, actor, supplier_ids=ids, model=Contract),
            Certification: service.records_of(
                session, actor, supplier_ids=ids, model=Certification
            ),
            Plan: service.records_of(session, actor, supplier_ids=ids, model=Plan),
        }
        due = service.current_warnings(session, actor, today=today())
        parents = _names(session, actor, {s.parent_id for s in rows if s.parent_id})
        named = _names(session, actor, {d[3] for d in due}) | {s.id: s.name for s in rows}
    following = (
        link(request, "/suppliers", tenant=caller.tenant, cursor=encode_cursor(last))
        if last
        else None
    )
    return page(
        request,
        "suppliers.html",
        suppliers=rows,
        parents=parents,
        per_supplier={m: _by_supplier(found) for m, found in records.items()},
        contracts=Contract,
        certifications=Certification,
        plans=Plan,
        warnings=sorted(due, key=lambda d: (d[2], named.get(d[3], ""))),
        supplier_names=named,
        next_url=following,
        **_shared(request, due),
    )


@router.get("/suppliers/{supplier_id}")
def supplier_page(request: Request, caller: CallerDep, supplier_id: str) -> Response:
    """One supplier: where it delivers and processes, its records and its warnings."""
    actor = caller.principal
    found = supplier_id_of(supplier_id)
    with unit_of_work(actor.tenant_id, read_only=True) as session:
        supplier = service.get_supplier(session, actor, supplier_id=found)
        records: dict[type, list[Any]] = {
            Contract: service.list_records(session, actor, supplier_id=found, model=Contract),
            Certification: service.list_records(
                session, actor, supplier_id=found, model=Certification
            ),
            Plan: service.list_records(session, actor, supplier_id=found, model=Plan),
        }
        subs = service.subsuppliers(session, actor, supplier_id=found)
        parent = _names(session, actor, {supplier.parent_id} if supplier.parent_id else set())
        due = [d for d in service.current_warnings(session, actor, today=today()) if d[3] == found]
    return page(
        request,
        "supplier.html",
        supplier=supplier,
        parent=parent,
        subsuppliers=subs,
        contract_rows=records[Contract],
        certification_rows=records[Certification],
        plan_rows=records[Plan],
        warnings=sorted(due, key=lambda d: d[2]),
        **_shared(request, due),
    )


def _names(session: Any, actor: Any, ids: set[Any]) -> dict[uuid.UUID, str]:
    found = {}
    for supplier_id in ids:
        try:
            found[supplier_id] = service.get_supplier(session, actor, supplier_id=supplier_id).name
        except SupplierNotFound:
            continue
    return found


def _by_supplier(rows: list[Any]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.supplier_id].append(row)
    return grouped


def _shared(request: Request, due: list[Due]) -> dict[str, Any]:
    """What both pages format alike: dates, countries, names, and the warning of a subject."""
    lang = pick_language(request)
    territories = Locale.parse(lang).territories

    def day(value: date | None) -> str:
        return format_date(value, "long", locale=lang) if value else ""

    def country(code: str) -> str:
        return f"{territories.get(code.upper(), code)} ({code.upper()})"

    def notice(contract: Contract) -> date | None:
        if contract.ends_on is None or not contract.notice_days:
            return None
        return contract.ends_on - timedelta(days=contract.notice_days)

    flagged: dict[uuid.UUID, list[Due]] = defaultdict(list)
    for d in due:
        flagged[d[0]].append(d)
    return {
        "day": day,
        "country": country,
        "notice_deadline": notice,
        "flagged": flagged,
        "warning_names": WARNING_NAMES,
        "regime_names": REGIME_NAMES,
        "plan_names": PLAN_NAMES,
        "form_names": FORM_NAMES,
    }
