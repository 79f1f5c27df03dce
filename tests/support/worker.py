"""The production worker plus one probe handler whose effect tests can count."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlmodel import Session

from core.outbox.models import OutboxMessage
from core.outbox.service import handler
from regie.worker import app

__all__ = ["app"]


@handler("test.probe")
def probe(session: Session, message: OutboxMessage) -> None:
    time.sleep(float(message.payload.get("sleep", 0)))
    session.execute(
        text("INSERT INTO test_probe_effect (tenant_id, message_id) VALUES (:t, :m)"),
        {"t": str(message.tenant_id), "m": str(message.id)},
    )
