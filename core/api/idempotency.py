"""Idempotency-Key on creates: a retry replays the first answer instead of creating twice.

The key is reserved in its own short transaction before the work starts, so a concurrent
duplicate sees the reservation and gets 409. The answer is stored in the same transaction as
the work, so a stored answer always belongs to committed work.

While a request works, its transaction holds the key (`hold`): on PostgreSQL a transaction
advisory lock, which the database drops with the transaction, also when the process holding
it dies; on SQLite (one process) a set of held keys, dropped when the transaction ends. A
reservation without an answer whose key nobody holds was left by a request that died: a retry
takes it over at once instead of answering 409.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import JSON, Column, delete, event, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col, select

from core.db import unit_of_work
from core.errors import Conflict, Unprocessable
from core.factories import empty_dict
from core.identity.permissions import Principal
from core.tenancy import TenantScoped
from core.types import UTCDateTime, utcnow

# Long enough for any client's retries; stored answers may hold text that is later redacted.
KEEP = timedelta(hours=24)


class IdempotencyRecord(TenantScoped, table=True):
    __tablename__ = "core_idempotency_record"

    actor_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_body: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    response_headers: dict[str, str] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Idempotency:
    def __init__(self, key: str | None, request_hash: str) -> None:
        self.key = key
        self.request_hash = request_hash

    def respond(
        self,
        session: Session,
        principal: Principal,
        produce: Callable[[], tuple[BaseModel, dict[str, str]]],
        status: int = 201,
    ) -> Response:
        """Run `produce` once per key; replay its stored answer on a retry."""
        if self.key is None:
            model, headers = produce()
            return _json(status, _dump(model), headers)
        if not hold(session, principal.tenant_id, principal.actor_id, self.key):
            raise Conflict("A request with this Idempotency-Key is still in progress.")
        try:
            replay = self._reserve(principal, self.key)
        except BaseException:
            let_go(session)
            raise
        if replay is not None:
            let_go(session)
            return replay
        try:
            model, headers = produce()
            body = _dump(model)
            record = session.get(
                IdempotencyRecord, (principal.tenant_id, principal.actor_id, self.key)
            )
            if record is None:  # the reservation was removed meanwhile
                raise Conflict("This Idempotency-Key is being used by another request.")
            record.status_code, record.response_body, record.response_headers = (
                status,
                body,
                headers,
            )
            session.flush()
        except BaseException:
            # The work is void anyway; end its transaction first so the release can write
            # (SQLite has one writer), then free the key for a corrected retry.
            session.rollback()
            let_go(session)
            self._release(principal)
            raise
        return _json(status, body, headers)

    def _reserve(self, principal: Principal, key: str) -> Response | None:
        pk = (principal.tenant_id, principal.actor_id, key)
        try:
            with unit_of_work(principal.tenant_id) as session:
                session.add(
                    IdempotencyRecord(
                        actor_id=principal.actor_id, key=key, request_hash=self.request_hash
                    )
                )
            return None
        except IntegrityError:
            pass
        with unit_of_work(principal.tenant_id) as session:
            record = session.get(IdempotencyRecord, pk)
            if record is None:
                raise Conflict("This Idempotency-Key is being used by another request.")
            if record.request_hash != self.request_hash:
                raise Unprocessable("This Idempotency-Key was used for a different request.")
            if record.status_code is None:
                # We hold the key, so the request that reserved it is gone: take it over.
                record.created_at = utcnow()
                return None
            headers = {**record.response_headers, "Idempotent-Replayed": "true"}
            return _json(record.status_code, record.response_body, headers)

    def _release(self, principal: Principal) -> None:
        with unit_of_work(principal.tenant_id) as session:
            if self.key is None or not hold(
                session, principal.tenant_id, principal.actor_id, self.key
            ):
                return  # a retry holds the key already and works on its reservation
            record = session.get(
                IdempotencyRecord, (principal.tenant_id, principal.actor_id, self.key)
            )
            if record is not None and record.status_code is None:
                session.delete(record)


_HELD = "idempotency_keys_held"
_held_here: set[int] = set()  # SQLite: the keys held by this process's transactions
_held_lock = threading.Lock()


def hold(session: Session, tenant_id: uuid.UUID, actor_id: uuid.UUID, key: str) -> bool:
    """Hold the key until the session's transaction ends; False when another transaction holds
    it. A dead holder holds nothing: its connection, and with it the lock, is gone."""
    digest = hashlib.sha256(json.dumps([str(tenant_id), str(actor_id), key]).encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = text("SELECT pg_try_advisory_xact_lock(:k)")
        return bool(session.connection().execute(stmt, {"k": lock_id}).scalar_one())
    # SQLite: no transaction is begun here (a writer's BEGIN IMMEDIATE would lock out the
    # reservation's own transaction); the key is let go when the session's transaction ends.
    with _held_lock:
        if lock_id in _held_here:
            return False
        _held_here.add(lock_id)
    session.info.setdefault(_HELD, set()).add(lock_id)
    return True


def let_go(session: Session) -> None:
    """Let go of the keys this session holds in this process (SQLite); on PostgreSQL the
    transaction's end does it."""
    held = session.info.pop(_HELD, None)
    if held:
        with _held_lock:
            _held_here.difference_update(held)


@event.listens_for(Session, "after_transaction_end")
def _at_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        let_go(session)


def forget(session: Session, location: str) -> int:
    """Drop the stored answers that created `location` (after its text was redacted)."""
    recent = select(IdempotencyRecord).where(col(IdempotencyRecord.created_at) > utcnow() - KEEP)
    gone = [r for r in session.exec(recent) if r.response_headers.get("Location") == location]
    for record in gone:
        session.delete(record)
    return len(gone)


def prune(tenant_id: uuid.UUID) -> int:
    """Delete the tenant's stored answers older than KEEP; returns how many."""
    with unit_of_work(tenant_id) as session:
        stmt = delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < utcnow() - KEEP)
        return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _dump(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


async def _idempotency(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[!-~]+$",
            description="Any unique string; a retry with the same key replays the first answer.",
        ),
    ] = None,
) -> Idempotency:
    body = await request.body()
    digest = hashlib.sha256(
        json.dumps([request.method, request.url.path]).encode() + b"\0" + body
    ).hexdigest()
    return Idempotency(key, digest)


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]
