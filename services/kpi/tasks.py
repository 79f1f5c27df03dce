"""The worker's side of closing a month: it holds the audit signing key, the API does not."""

from __future__ import annotations

import uuid

import structlog
from sqlmodel import Session

from audit import public as audit
from core.outbox.models import OutboxMessage
from core.outbox.service import handler
from services.kpi import frozen

log = structlog.get_logger("regie.services.kpi")


@handler(frozen.SIGN_REQUESTED)
def sign_closed_month(session: Session, message: OutboxMessage) -> None:
    """Sign the month a closing request froze, in the message's transaction (so exactly once);
    a month signed already, by an earlier delivery, is left as it is."""
    month_id = uuid.UUID(message.payload["closedMonthId"])
    try:
        row = frozen.sign_closed_month(session, month_id)
    except frozen.SnapshotAltered:
        # Left unsigned (pending) for good, and said where the tenant's auditors look.
        detail = {"closedMonthId": str(month_id), "month": message.payload.get("month")}
        audit.record_security_event(
            session, kind="closed-month-altered", tenant_id=message.tenant_id, detail=detail
        )
        log.error("closed_month_altered", message_id=str(message.id), **detail)
        return
    if row is None:
        log.warning("closed_month_to_sign_not_found", message_id=str(message.id))
