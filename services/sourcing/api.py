"""Routes of the sourcing register: parse, call one operation, answer.

Contracts, certifications and plans share one shape of routes (list, add, change under their
supplier), made by `_records`. No `from __future__ import annotations` here: the routes made
in that function need their parameter types as objects, not names.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.schemas import ApiModel
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.sourcing import permissions, service
from services.sourcing.models import Certification, Contract, Plan
from services.sourcing.schemas import (
    CertificationCreate,
    CertificationList,
    CertificationPublic,
    CertificationUpdate,
    ContractCreate,
    ContractList,
    ContractPublic,
    ContractUpdate,
    PlanCreate,
    PlanList,
    PlanPublic,
    PlanUpdate,
    SupplierCreate,
    SupplierPage,
    SupplierPublic,
    SupplierUpdate,
    WarningPage,
    WarningPublic,
)

router = APIRouter(prefix=API_PREFIX, tags=["sourcing"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.MANAGE)]
Manager = Annotated[Principal, require(permissions.MANAGE)]
SupplierId = Annotated[uuid.UUID, Path(alias="supplierId")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]
RecordId = Annotated[uuid.UUID, Path(alias="recordId")]


@router.get("/suppliers", response_model=SupplierPage, summary="List suppliers")
def list_suppliers(
    session: SessionDep, actor: Reader, limit: Limit = 50, cursor: Cursor = None
) -> SupplierPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_suppliers(session, actor, limit=limit, after=after)
    items = [SupplierPublic.model_validate(r) for r in rows]
    return SupplierPage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post(
    "/suppliers", response_model=SupplierPublic, status_code=201, summary="Register a supplier"
)
def create_supplier(
    body: SupplierCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[SupplierPublic, dict[str, str]]:
        row = service.create_supplier(session, actor, data=body)
        headers = {"ETag": etag(row.version), "Location": f"{API_PREFIX}/suppliers/{row.id}"}
        return SupplierPublic.model_validate(row), headers

    return idem.respond(session, actor, produce)


@router.get("/suppliers/{supplierId}", response_model=SupplierPublic, summary="Get a supplier")
def get_supplier(
    supplier_id: SupplierId, session: SessionDep, actor: Reader, response: Response
) -> SupplierPublic:
    row = service.get_supplier(session, actor, supplier_id=supplier_id)
    response.headers["ETag"] = etag(row.version)
    return SupplierPublic.model_validate(row)


@router.patch("/suppliers/{supplierId}", response_model=SupplierPublic, summary="Change a supplier")
def update_supplier(
    supplier_id: SupplierId,
    body: SupplierUpdate,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> SupplierPublic:
    row = service.update_supplier(
        session, actor, supplier_id=supplier_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = etag(row.version)
    return SupplierPublic.model_validate(row)


@router.get(
    "/sourcing-warnings",
    response_model=WarningPage,
    summary="Warnings given ahead of contract ends, notice deadlines, expiring certificates "
    "and untested exit plans",
)
def list_warnings(
    session: SessionDep, actor: Reader, limit: Limit = 50, cursor: Cursor = None
) -> WarningPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_warnings(session, actor, limit=limit, after=after)
    items = [WarningPublic.model_validate(r) for r in rows]
    return WarningPage(items=items, nextCursor=encode_cursor(last) if last else None)


def _records(
    segment: str,
    noun: str,
    model: Any,
    shapes: tuple[type[ApiModel], type[ApiModel], type[ApiModel], type[ApiModel]],
) -> None:
    """List, add and change routes for one kind of a supplier's records."""
    create_shape, update_shape, public, listed = shapes
    path = f"/suppliers/{{supplierId}}/{segment}"

    def list_records(supplier_id: SupplierId, session: SessionDep, actor: Reader) -> Any:
        rows = service.list_records(session, actor, supplier_id=supplier_id, model=model)
        return listed.model_validate({"items": [public.model_validate(r) for r in rows]})

    def add_record(
        supplier_id: SupplierId,
        body: create_shape,  # type: ignore[valid-type]
        session: SessionDep,
        actor: Manager,
        idem: IdempotencyDep,
    ) -> Response:
        def produce() -> tuple[ApiModel, dict[str, str]]:
            row = service.add_record(
                session, actor, supplier_id=supplier_id, model=model, data=body
            )
            location = f"{API_PREFIX}/suppliers/{supplier_id}/{segment}/{row.id}"
            return public.model_validate(row), {"ETag": etag(row.version), "Location": location}

        return idem.respond(session, actor, produce)

    def update_record(
        supplier_id: SupplierId,
        record: RecordId,
        body: update_shape,  # type: ignore[valid-type]
        session: SessionDep,
        actor: Manager,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        row = service.update_record(
            session,
            actor,
            supplier_id=supplier_id,
            model=model,
            record_id=record,
            changes=body,
            if_match=if_match,
        )
        response.headers["ETag"] = etag(row.version)
        return public.model_validate(row)

    for fn in (list_records, add_record, update_record):
        fn.__name__ = f"{fn.__name__}_{segment.replace('-', '_')}"
    router.get(path, response_model=listed, summary=f"List a supplier's {segment}")(list_records)
    router.post(path, response_model=public, status_code=201, summary=f"Add a {noun}")(add_record)
    router.patch(path + "/{recordId}", response_model=public, summary=f"Change a {noun}")(
        update_record
    )


_records(
    "contracts",
    "contract",
    Contract,
    (ContractCreate, ContractUpdate, ContractPublic, ContractList),
)
_records(
    "certifications",
    "certification",
    Certification,
    (CertificationCreate, CertificationUpdate, CertificationPublic, CertificationList),
)
_records("plans", "exit or continuity plan", Plan, (PlanCreate, PlanUpdate, PlanPublic, PlanList))
