"""Routes of the audit log: parse, call one service function, answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlmodel import Session

from audit import checkpoints, export, permissions, service
from audit.schemas import (
    AuditEntryPage,
    AuditEntryPublic,
    CheckpointPage,
    CheckpointPublic,
    CheckpointRequestPublic,
    ConsistencyProof,
    InclusionProof,
    PublicKey,
)
from core.api.deps import PrincipalDep, require, take_unit
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.schemas import QueryDateTime
from core.api.threads import ThreadedRoute
from core.db import finish
from core.errors import InvalidInput
from core.identity.permissions import Principal

router = APIRouter(prefix=API_PREFIX + "/audit", tags=["audit log"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require(permissions.READ)]
Manager = Annotated[Principal, require(permissions.MANAGE)]
Witness = Annotated[Principal, require(permissions.WITNESS)]
Seq = Annotated[int, Path(alias="seq", ge=1, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]
SortSeq = Annotated[str, Query(pattern=r"^-?seq$", description="seq or -seq")]
SortSize = Annotated[str, Query(pattern=r"^-?treeSize$", description="treeSize or -treeSize")]


def _session(request: Request, principal: PrincipalDep) -> Iterator[Session]:
    # Reads of the audit log are recorded, so even GETs need a writing unit of work.
    session = take_unit(request, principal, writing=True)
    try:
        yield session
    except BaseException:
        finish(session, ok=False)
        raise
    finish(session, ok=True)


AuditSession = Annotated[Session, Depends(_session, scope="function")]


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    value = decode_cursor(cursor)[0]
    if not isinstance(value, int):
        raise InvalidInput("The cursor does not belong to this list.")
    return value


@router.get("/entries", response_model=AuditEntryPage, summary="List audit entries")
def list_audit_entries(
    session: AuditSession,
    actor: Reader,
    entity_type: Annotated[str | None, Query(alias="entityType", max_length=100)] = None,
    entity_id: Annotated[str | None, Query(alias="entityId", max_length=200)] = None,
    actor_id: Annotated[str | None, Query(alias="actorId", max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[QueryDateTime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[QueryDateTime | None, Query(description="Before this time")] = None,
    sort: SortSeq = "seq",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditEntryPage:
    filters: dict[str, Any] = {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "actor_id": actor_id,
        "action": action,
        "since": since,
        "until": until,
    }
    rows, last = service.list_entries(
        session,
        actor,
        filters=filters,
        limit=limit,
        descending=sort.startswith("-"),
        after=_after(cursor),
    )
    items = [AuditEntryPublic.model_validate(r) for r in rows]
    return AuditEntryPage(items=items, nextCursor=encode_cursor([last, last]) if last else None)


@router.get("/entries/{seq}", response_model=AuditEntryPublic, summary="Get an audit entry")
def get_audit_entry(seq: Seq, session: AuditSession, actor: Reader) -> AuditEntryPublic:
    return AuditEntryPublic.model_validate(service.get_entry(session, actor, seq=seq))


@router.get(
    "/entries/{seq}/inclusion-proof",
    response_model=InclusionProof,
    summary="Prove an entry is in a signed checkpoint",
    responses={422: {"description": "The checkpoint does not cover the entry"}},
)
def get_inclusion_proof(
    seq: Seq,
    session: AuditSession,
    actor: Reader,
    tree_size: Annotated[int | None, Query(alias="treeSize", ge=1)] = None,
) -> InclusionProof:
    entry, cp, path = service.inclusion_proof(session, actor, seq=seq, tree_size=tree_size)
    return InclusionProof(
        seq=entry.seq,
        leaf_index=entry.seq - 1,
        tree_size=cp.tree_size,
        entry_hash=entry.entry_hash,
        path=path,
        checkpoint=CheckpointPublic.model_validate(cp),
    )


@router.get(
    "/consistency-proof",
    response_model=ConsistencyProof,
    summary="Prove one checkpoint extends another",
    responses={
        404: {"description": "No checkpoint of that size"},
        422: {"description": "No proof for these sizes"},
    },
)
def get_consistency_proof(
    session: AuditSession,
    actor: Reader,
    first: Annotated[int, Query(ge=1, description="Tree size of the older checkpoint")],
    second: Annotated[int, Query(ge=1, description="Tree size of the newer checkpoint")],
) -> ConsistencyProof:
    old, new, path = service.consistency_proof(session, actor, first=first, second=second)
    return ConsistencyProof(
        first=CheckpointPublic.model_validate(old),
        second=CheckpointPublic.model_validate(new),
        path=path,
    )


@router.get("/checkpoints", response_model=CheckpointPage, summary="List checkpoints")
def list_checkpoints(
    session: AuditSession,
    actor: Reader,
    sort: SortSize = "treeSize",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CheckpointPage:
    rows, last = service.list_checkpoints(
        session, actor, limit=limit, descending=sort.startswith("-"), after=_after(cursor)
    )
    items = [CheckpointPublic.model_validate(r) for r in rows]
    return CheckpointPage(items=items, nextCursor=encode_cursor([last, last]) if last else None)


@router.post(
    "/checkpoints",
    status_code=202,
    response_model=CheckpointRequestPublic,
    summary="Have the tree head signed now",
    description=(
        "The worker holds the signing key, not the API: this asks it to sign the tree head, "
        "which it does within seconds (GET /audit/checkpoints shows it once signed). A log that "
        "fails verification is never signed."
    ),
    responses={
        200: {
            "description": "Nothing new since the latest checkpoint",
            "model": CheckpointRequestPublic,
        },
        404: {"description": "The log is empty"},
    },
)
def create_checkpoint(
    session: AuditSession, actor: Manager, response: Response
) -> CheckpointRequestPublic:
    size, latest = service.request_checkpoint(session, actor)
    signed = latest is not None and latest.tree_size == size
    response.status_code = 200 if signed else 202
    response.headers["Location"] = f"{API_PREFIX}/audit/checkpoints?sort=-treeSize&limit=1"
    return CheckpointRequestPublic(
        status="signed" if signed else "pending",
        tree_size=size,
        checkpoint=CheckpointPublic.model_validate(latest) if latest else None,
    )


@router.get(
    "/checkpoint-file",
    summary="Download this tenant's checkpoints as kept outside the database",
    response_class=Response,
    responses={200: {"content": {"application/jsonl": {}}, "description": "JSON lines"}},
)
def download_checkpoint_file(session: AuditSession, actor: Reader) -> Response:
    service.record_access(session, actor, action="export", what="checkpoint-file")
    path = checkpoints.file_path(actor.tenant_id)
    content = path.read_bytes() if path.exists() else b""
    return Response(content, media_type="application/jsonl")


@router.get(
    "/witness",
    summary="Download this tenant's signed checkpoints as a witness copy to keep",
    description=(
        "JSON lines, one signed checkpoint each (no entries). Keep the file outside Regie and "
        "check the log against it with `regie audit verify --witness FILE` or "
        "`python -m audit.offline EXPORT --checkpoints FILE`."
    ),
    response_class=Response,
    responses={200: {"content": {"application/jsonl": {}}, "description": "JSON lines"}},
)
def download_witness(session: AuditSession, actor: Witness) -> Response:
    return Response(service.witness_file(session, actor), media_type="application/jsonl")


@router.get(
    "/export",
    summary="Export the log with its proof material",
    response_class=Response,
    responses={
        200: {"content": {"application/jsonl": {}, "text/csv": {}}, "description": "The export"}
    },
)
def export_log(
    session: AuditSession,
    actor: Reader,
    export_format: Annotated[Literal["jsonl", "csv"], Query(alias="format")] = "jsonl",
) -> Response:
    if export_format == "csv":
        return Response(export.export_csv(session, actor), media_type="text/csv")
    return Response(export.export_jsonl(session, actor), media_type="application/jsonl")


@router.get("/public-key", response_model=PublicKey, summary="The key that signs checkpoints")
def get_public_key() -> PublicKey:
    return PublicKey.model_validate(service.public_key())
