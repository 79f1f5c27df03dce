"""Each new signed audit checkpoint mailed to the client as its own witness copy.

When the worker signs a checkpoint, one outbox message per DAP report recipient of
"audit-witness" is queued in the same transaction, so each checkpoint is sent once. The mail
carries the checkpoint as one line of the witness file (`GET /audit/witness`): the client
appends it to the file it keeps and checks the log with `regie audit verify --witness FILE`.
Mail is Dutch and English (the DAP records no language); it leaves only when an SMTP server is
configured.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from sqlmodel import Session

from audit.public import CheckpointSigned
from core import mailer
from core.outbox.models import OutboxMessage
from core.outbox.service import handler, publish
from services.dap.service import report_recipients

TOPIC = "services.dap.witness"
REPORT = "audit-witness"  # the DAP's report name for who keeps the witness copy
log = structlog.get_logger("regie.services.dap.witness")

BODY = (
    "Beste {name},\n\n"
    "Bijgevoegd is het nieuw ondertekende controlepunt {size} van het auditlogboek. "
    "Voeg de regel toe aan uw getuigenbestand en controleer het logboek met "
    "`regie audit verify --witness BESTAND`.\n\n"
    "Attached is the newly signed checkpoint {size} of the audit log. Append the line to "
    "your witness file and check the log with `regie audit verify --witness FILE`.\n\n"
    "Met vriendelijke groet / Kind regards,\nRegie"
)


def on_checkpoint_signed(event: CheckpointSigned) -> None:
    """Queue the witness copy for each recipient the tenant's DAP names, with the checkpoint."""
    for r in report_recipients(event.session, report=REPORT):
        payload = {"checkpoint": event.checkpoint, "name": r.name, "email": r.email}
        publish(event.session, TOPIC, payload)


@handler(TOPIC)
def deliver(_session: Session, message: OutboxMessage) -> None:
    """Mail the checkpoint as a witness file line when an SMTP server is configured."""
    payload: dict[str, Any] = message.payload
    checkpoint = payload["checkpoint"]
    size = checkpoint["treeSize"]
    line = json.dumps(checkpoint, sort_keys=True) + "\n"
    mailer.send(
        to=payload["email"],
        subject=f"Auditlogboek: controlepunt {size} / Audit log: checkpoint {size}",
        body=BODY.format(name=payload["name"], size=size),
        message_id=str(message.id),
        attachments=[(f"regie-witness-{size}.jsonl", "application/jsonl", line.encode())],
        what="witness_copy",
    )
