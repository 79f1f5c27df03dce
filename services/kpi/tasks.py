"""The worker's side of closing a month: it holds the audit signing key, the API does not."""

from __future__ import annotations

import uuid

import structlog
from sqlmodel import Session

from core.outbox.models import OutboxMessage
from core.outbox.service import handler
from services.kpi import frozen

log = structlog.get_logger("regie.services.kpi")


@handler(frozen.SIGN_REQUESTED)
def sign_closed_month(session: Session, message: OutboxMessage) -> None:
    """Sign the month a closing request froze, in the message's transaction (so exactly once);
    a month signed already, by an earlier delivery, is left as it is."""
    row = frozen.sign_closed_month(session, uuid.UUID(message.payload["closedMonthId"]))
    if row is None:
        log.warning("closed_month_to_sign_not_found", message_id=str(message.id))
