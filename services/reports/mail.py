"""Mailing a generated monthly report (its PDF attached) to the tenant's recipients.

Who receives it comes from `RECIPIENTS_SOURCE`: the report recipients of the tenant's DAP
version in effect (those who get "monthly-sla"; the tests replace it). Mail leaves through
`core.mailer`, only when an SMTP server is configured. Each recipient is one outbox message,
queued with the job's completion, so a report is mailed once it exists and never lost; the
message id is the mail's Message-ID, so a receiver can drop the copy a retry after a crash
may send.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import structlog
from sqlmodel import Session

from core import mailer
from core.outbox.models import OutboxMessage
from core.outbox.service import handler, publish
from core.tenancy import Tenant
from services.dap import public as dap
from services.reports import repository
from services.reports.formats import FORMATS
from services.reports.labels import Labels, Language
from services.reports.models import ReportJob

TOPIC = "services.reports.mail"
log = structlog.get_logger("regie.services.reports.mail")

REPORT = "monthly-sla"  # the report's name in the DAP's list of reports per recipient


def dap_recipients(session: Session, month: date) -> list[tuple[str, str]]:
    """(name, e-mail) of the DAP's recipients of the monthly report, as the DAP is today."""
    return [(r.name, r.email) for r in dap.report_recipients(session, report=REPORT)]


RecipientsSource = Callable[[Session, date], list[tuple[str, str]]]
RECIPIENTS_SOURCE: RecipientsSource = dap_recipients

TEXT = {
    "nl": (
        "Servicerapportage {month}",
        "Beste {name},\n\nBijgaand de servicerapportage van {month} voor {tenant}, "
        "voor het tactisch overleg.\n\nMet vriendelijke groet,\nRegie",
    ),
    "en": (
        "Service level report {month}",
        "Dear {name},\n\nAttached is the service level report of {month} for {tenant}, "
        "for the tactical consultation.\n\nKind regards,\nRegie",
    ),
}


def queue(session: Session, job: ReportJob) -> int:
    """Queue one mail per recipient of the job's month; returns how many."""
    recipients = RECIPIENTS_SOURCE(session, job.month)
    for name, email in recipients:
        publish(session, TOPIC, {"jobId": str(job.id), "name": name, "email": email})
    return len(recipients)


def render(job: ReportJob, *, name: str, tenant: str) -> tuple[str, str]:
    """Subject and plain-text body in the job's language."""
    labels = Labels(_language(job.language))
    subject, body = TEXT[labels.language]
    month = labels.month(job.month)
    return subject.format(month=month), body.format(name=name, month=month, tenant=tenant)


@handler(TOPIC)
def deliver(session: Session, message: OutboxMessage) -> None:
    """Mail the report's PDF to the message's recipient when an SMTP server is configured."""
    payload: dict[str, Any] = message.payload
    job = repository.job(session, uuid.UUID(payload["jobId"]))
    pdf = repository.file(session, job.id, "pdf") if job else None
    if job is None or pdf is None:
        log.info("report_mail_not_sent", message_id=str(message.id))
        return
    tenant = session.get(Tenant, job.tenant_id)
    subject, body = render(job, name=payload["name"], tenant=tenant.name if tenant else "")
    fmt = FORMATS["pdf"]
    mailer.send(
        to=payload["email"],
        subject=subject,
        body=body,
        message_id=str(message.id),
        attachments=[(fmt.file_name(job.month), fmt.media_type, pdf.content)],
        what="report_mail",
    )


def _language(value: str) -> Language:
    return "en" if value == "en" else "nl"
