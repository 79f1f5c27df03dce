"""Capture at flush: every insert, update and delete of an audited table becomes an entry in
the same transaction. Changes are described at each flush and sequenced just before commit;
a failure in either fails the transaction, so no change commits without its entry.
"""

from __future__ import annotations

import enum
import hashlib
import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from opentelemetry import trace
from sqlalchemy import event, inspect
from sqlalchemy.orm import InstanceState
from sqlmodel import Session

from audit import prompt, sequencer
from core.auditing import digested_columns, is_audited, masked_columns
from core.context import actor_var, client_var, processing_var
from core.observability import request_id_var
from core.settings import get_settings
from core.types import utcnow

MASK = "********"


_DRAFTS = "audit_drafts"
_APPENDED = "audit_appended_tenants"
_EVENTS = (
    ("after_flush", "_after_flush"),
    ("before_commit", "_before_commit"),
    ("after_commit", "_after_commit"),
    ("after_rollback", "_discard"),
)


def install() -> None:
    """Listen on every session (idempotent); wired by the app factory, worker and CLI."""
    for name, fn in _EVENTS:
        if not event.contains(Session, name, globals()[fn]):
            event.listen(Session, name, globals()[fn])


def uninstall() -> None:
    """Remove the flush listeners again, for tests that build their own engines."""
    for name, fn in _EVENTS:
        if event.contains(Session, name, globals()[fn]):
            event.remove(Session, name, globals()[fn])


def _after_flush(session: Session, _flush_context: Any) -> None:
    """Describe what this flush wrote, while history and new/dirty/deleted still show it."""
    drafts: dict[uuid.UUID, list[dict[str, Any]]] = session.info.setdefault(
        _DRAFTS, defaultdict(list)
    )
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if is_audited(type(obj)):
                draft = describe(session, obj, action)
                if draft is not None:
                    drafts[obj.tenant_id].append(draft)


def _before_commit(session: Session) -> None:
    """Sequence the transaction's entries just before it commits.

    Still the same transaction, so a failure here fails the commit; and the tenant's head
    row is locked only for the last moments of the transaction, not from its first flush,
    which keeps one tenant's writers from queueing behind each other's request handling."""
    session.flush()
    drafts = session.info.pop(_DRAFTS, None)
    for tenant_id, items in (drafts or {}).items():
        if items:
            record(session, tenant_id, items)


def record(session: Session, tenant_id: uuid.UUID, bodies: list[dict[str, Any]]) -> None:
    """Append entries in the session's transaction and have them checkpointed after commit."""
    sequencer.append(session.connection(), tenant_id, bodies)
    session.info.setdefault(_APPENDED, set()).add(tenant_id)


def _after_commit(session: Session) -> None:
    """Entries committed: have them checkpointed soon (security events and reads too)."""
    appended = session.info.pop(_APPENDED, None)
    if appended:
        prompt.request_checkpoints(appended)


def _discard(session: Session) -> None:
    session.info.pop(_DRAFTS, None)
    session.info.pop(_APPENDED, None)


def describe(session: Session, obj: Any, action: str) -> dict[str, Any] | None:
    """The entry body for one changed row, or None when an update changed nothing."""
    state: InstanceState[Any] = inspect(obj)
    changes = _changes(state, action)
    if action == "update" and not changes:
        return None
    table = state.mapper.local_table.name  # type: ignore[attr-defined]
    body = base_body(session, action=action, entity_type=table, entity_id=_entity_id(state))
    body["changes"] = changes
    processing = getattr(type(obj), "__audit_processing__", None) or processing_var.get()
    if processing:
        body["processing"] = dict(processing)
    return body


def base_body(
    session: Session | None, *, action: str, entity_type: str, entity_id: str
) -> dict[str, Any]:
    """Who, what, when and from where: the fields every entry carries."""
    actor = (session.info.get("actor") if session is not None else None) or actor_var.get()
    client = client_var.get()
    span = trace.get_current_span().get_span_context()
    return {
        "time": utcnow().isoformat(),
        "action": action,
        "entity": {"type": entity_type, "id": entity_id},
        "actor": {"kind": actor.kind, "id": actor.id},
        "context": {
            "requestId": request_id_var.get(),
            "traceId": format(span.trace_id, "032x") if span.is_valid else None,
            "clientAddress": client.address if client else None,
            "userAgent": client.user_agent if client else None,
        },
    }


def _entity_id(state: InstanceState[Any]) -> str:
    keys = state.mapper.primary_key_from_instance(state.obj())
    cols = state.mapper.primary_key
    return "/".join(str(v) for c, v in zip(cols, keys, strict=True) if c.key != "tenant_id")


def _changes(state: InstanceState[Any], action: str) -> dict[str, dict[str, Any]]:
    cls = state.class_
    table = state.mapper.local_table.name  # type: ignore[attr-defined]
    masked = set(masked_columns(cls)) | {
        f.split(".", 1)[1] for f in get_settings().audit_masked_fields if f.startswith(table + ".")
    }
    digested = digested_columns(cls)
    out: dict[str, dict[str, Any]] = {}
    attrs: Any = state.mapper.column_attrs
    if action == "update":
        # Only an attribute set since the row was loaded keeps its value before (the ORM's
        # history of any other is "unchanged"): the few a write sets, not all of the row's.
        attrs = [a for a in attrs if a.key in state.committed_state]
    for attr in attrs:
        key = attr.key
        if key == "tenant_id":
            continue
        before, after = _before_after(state, key, action)
        if action == "update" and before == after:
            continue
        if key in masked:
            before, after = (
                (MASK if before is not None else None),
                (MASK if after is not None else None),
            )
        elif key in digested:
            before, after = _digest(before), _digest(after)
        out[key] = {"before": _plain(before), "after": _plain(after)}
    return out


def _digest(value: Any) -> str | None:
    if value is None:
        return None
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()


def _before_after(state: InstanceState[Any], key: str, action: str) -> tuple[Any, Any]:
    value = state.dict.get(key)
    if action == "create":
        return None, value
    if action == "delete":
        return value, None
    hist = state.attrs[key].history
    if not hist.has_changes():
        return value, value
    return (hist.deleted[0] if hist.deleted else None), (hist.added[0] if hist.added else None)


def _plain(value: Any) -> Any:
    """JSON-safe and stable: ids and times as strings, enums as their values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)
