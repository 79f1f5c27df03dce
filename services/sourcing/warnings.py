"""Warnings ahead of the sourcing register's dates, through the outbox, once each.

The daily sweep finds what is due: contracts ending within 90 days, notice deadlines (the end
less the notice period) within 30, certificates expiring within 60 (or expired), and exit
plans not tested within a year (or never). Each becomes a `SourcingWarning` row, visible at
`/sourcing-warnings`, and one outbox message per recipient the DAP names for the report
`sourcing-warnings`, in one transaction; the row stops any later sweep from warning again
until the date moves. Mail leaves only when an SMTP server is configured.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core import mailer
from core.db import unit_of_work
from core.outbox.models import OutboxMessage
from core.outbox.service import active_tenant_ids, handler, publish
from services.dap import public as dap
from services.sourcing import repository
from services.sourcing.models import SourcingWarning, Supplier, WarningKind

TOPIC = "services.sourcing.warning"
REPORT = "sourcing-warnings"  # the DAP's report name for who receives these warnings
CONTRACT_END, NOTICE, CERTIFICATE, UNTESTED = (
    timedelta(days=90),
    timedelta(days=30),
    timedelta(days=60),
    timedelta(days=365),
)
log = structlog.get_logger("regie.services.sourcing.warnings")

Due = tuple[uuid.UUID, WarningKind, date, uuid.UUID, str]  # subject, kind, due, supplier, what


def due(session: Session, today: date) -> Iterator[Due]:
    """Everything of the session's tenant that calls for a warning today."""
    for c in repository.contracts_ending_from(session, today):
        assert c.ends_on is not None  # the query compares it
        if today <= c.ends_on <= today + CONTRACT_END:
            yield c.id, WarningKind.contract_end, c.ends_on, c.supplier_id, c.reference
        deadline = c.ends_on - timedelta(days=c.notice_days)
        if c.notice_days and today <= deadline <= today + NOTICE:
            yield c.id, WarningKind.notice_deadline, deadline, c.supplier_id, c.reference
    for cert in repository.certifications_expiring_by(session, today + CERTIFICATE):
        kind = WarningKind.certification_expiry
        yield cert.id, kind, cert.expires_on, cert.supplier_id, cert.kind
    for plan in repository.exit_plans(session):
        # Never tested: due from the day it was recorded.
        due_on = (plan.last_tested_on + UNTESTED) if plan.last_tested_on else plan.created_at.date()
        if due_on <= today:
            yield plan.id, WarningKind.exit_plan_untested, due_on, plan.supplier_id, plan.title


def sweep(session: Session, today: date) -> list[SourcingWarning]:
    """Warn once about everything due in the session's tenant."""
    made = []
    recipients = dap.report_recipients(session, report=REPORT)
    for subject_id, kind, due_on, supplier_id, what in due(session, today):
        if repository.warned(session, subject_id, kind, due_on):
            continue
        supplier = repository.get(session, supplier_id)
        detail = _detail(kind, what, supplier, due_on)
        warning = SourcingWarning(
            subject_id=subject_id, kind=kind, due_on=due_on, supplier_id=supplier_id, detail=detail
        )
        session.add(warning)
        for r in recipients:
            publish(session, TOPIC, {"detail": detail, "name": r.name, "email": r.email})
        made.append(warning)
    session.flush()
    return made


def _detail(kind: WarningKind, what: str, supplier: Supplier | None, due_on: date) -> str:
    name = supplier.name if supplier else "?"
    text = {
        WarningKind.contract_end: "Contract {what} of {name} ends on {due}.",
        WarningKind.notice_deadline: "Notice on contract {what} of {name} must be given by {due}.",
        WarningKind.certification_expiry: "{what} of {name} expires on {due}.",
        WarningKind.exit_plan_untested: "Exit plan {what} of {name} was due for a test on {due}.",
    }[kind]
    return text.format(what=what, name=name, due=due_on.isoformat())[:500]


def sweep_all(today: date | None = None) -> int:
    """Sweep every active tenant, each in its own transaction; returns how many warnings."""
    made = 0
    for tenant_id in active_tenant_ids():
        try:
            with unit_of_work(tenant_id) as session:
                made += len(sweep(session, today or date.today()))
        except IntegrityError:
            # A sweep running at the same time warned first; ours rolled back whole.
            log.info("sourcing_warning_sweep_overlap", tenant_id=str(tenant_id))
    return made


@handler(TOPIC)
def deliver(_session: Session, message: OutboxMessage) -> None:
    """Mail the warning to the message's recipient when an SMTP server is configured."""
    payload: dict[str, Any] = message.payload
    mailer.send(
        to=payload["email"],
        subject="Sourcing register: " + payload["detail"][:200],
        body=f"Dear {payload['name']},\n\n{payload['detail']}\n\nRegie",
        message_id=str(message.id),
        what="sourcing_warning",
    )
