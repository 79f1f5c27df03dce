"""API shapes of the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from core.api.pagination import Page
from core.api.schemas import ApiModel


class AuditEntryPublic(ApiModel):
    seq: int
    occurred_at: datetime
    action: str
    entity_type: str
    entity_id: str
    actor_kind: str
    actor_id: str
    record: dict[str, Any] = Field(description="The hashed entry: changes, context, processing")
    body: str = Field(description="The exact bytes hashed (canonical JSON)")
    prev_hash: str
    entry_hash: str

    @model_validator(mode="before")
    @classmethod
    def _parse_body(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            data = {name: getattr(data, name) for name in _ENTRY_FIELDS}
            data["record"] = json.loads(data["body"])
        return data


_ENTRY_FIELDS = (
    "seq",
    "occurred_at",
    "action",
    "entity_type",
    "entity_id",
    "actor_kind",
    "actor_id",
    "body",
    "prev_hash",
    "entry_hash",
)


class AuditEntryPage(Page[AuditEntryPublic]):
    """One page of entries; pass nextCursor back as `cursor` for the next."""


class CheckpointPublic(ApiModel):
    tree_size: int
    root_hash: str
    chain_hash: str
    issued_at: datetime
    key_id: str
    signature: str = Field(description="Ed25519 over the statement, hex")
    frontier: list[str] = Field(description="Compact range at this size, largest subtree first")


class CheckpointRequestPublic(ApiModel):
    status: Literal["pending", "signed"] = Field(
        description="pending: the worker signs the tree head within seconds; signed: nothing "
        "was added since the latest checkpoint"
    )
    tree_size: int = Field(description="The size being signed (pending) or signed")
    checkpoint: CheckpointPublic | None = Field(
        description="The latest signed checkpoint, if any (GET /audit/checkpoints lists all)"
    )


class CheckpointPage(Page[CheckpointPublic]):
    """One page of checkpoints."""


class InclusionProof(ApiModel):
    seq: int
    leaf_index: int
    tree_size: int
    entry_hash: str
    path: list[str] = Field(description="RFC 9162 audit path, leaf side first, hex")
    checkpoint: CheckpointPublic


class ConsistencyProof(ApiModel):
    first: CheckpointPublic
    second: CheckpointPublic
    path: list[str] = Field(description="RFC 9162 consistency proof, hex")


class PublicKey(ApiModel):
    algorithm: str
    key_id: str
    public_key: str = Field(description="The 32 raw key bytes, base64")
