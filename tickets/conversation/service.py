"""The conversation on a ticket: replies, internal notes and attachments. Never commits.

Reporters write public messages on their own tickets and never see internal notes; agents
write both; readers see both. A public message moves the ticket: the reporter's answer returns
a ticket that waited for information, an agent's first answer stops the response clock.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import PurePosixPath
from typing import Any

import structlog
from sqlmodel import Session

from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.settings import get_settings
from tickets import content, guard, permissions, privacy
from tickets.conversation import repository
from tickets.conversation.errors import (
    AttachmentNotFound,
    AttachmentTooLarge,
    ContentRefused,
    ScannerUnavailable,
    VirusFound,
)
from tickets.conversation.models import Attachment, AttachmentContent, Message, Visibility
from tickets.conversation.schemas import MessageCreate
from tickets.models import EventKind, Ticket
from tickets.service import (
    can_read_all,
    get_ticket,
    record,
    reporter_supplied_information,
    ticket_settings,
)
from tickets.workflow import mark_responded

log = structlog.get_logger("regie.tickets.attachments")
_MAX_NAME = 255


def _sees_internal(actor: Principal) -> bool:
    return can_read_all(actor)


def _check_may_write(actor: Principal, ticket: Ticket, visibility: Visibility) -> None:
    """Internal notes and messages on someone else's ticket are the supplier's work."""
    if visibility == Visibility.internal or ticket.reporter_id != actor.actor_id:
        actor.require(permissions.WORK)


def list_messages(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Message], list[Any] | None]:
    """One page of the ticket's messages, oldest first; internal notes only for those who
    may read every ticket."""
    ticket = get_ticket(session, actor, ticket_id=ticket_id)
    rows = repository.messages(
        session, ticket.id, public_only=not _sees_internal(actor), limit=limit + 1, after=after
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1]) if more else None


def post_message(
    session: Session, actor: Principal, *, ticket_id: uuid.UUID, data: MessageCreate
) -> Message:
    """Add a message; a public one is history and moves the ticket (see the module)."""
    ticket = get_ticket(session, actor, ticket_id=ticket_id, for_update=True)
    _check_may_write(actor, ticket, data.visibility)
    mode = ticket_settings(session).privacy_mode
    guard.enforce(mode, guard.findings({"body": data.body}, {"body": "body"}))
    by_reporter = ticket.reporter_id == actor.actor_id
    message = Message(
        ticket_id=ticket.id,
        author=actor.label,
        author_id=actor.actor_id,
        author_name=actor.name,
        by_reporter=by_reporter,
        visibility=data.visibility,
        body=data.body,
    )
    session.add(message)
    session.flush()
    guard.check_message(ticket, str(message.id), message.body, mode)
    if data.visibility == Visibility.public:
        record(
            session,
            actor,
            ticket,
            EventKind.replied,
            messageId=str(message.id),
            byReporter=by_reporter,
        )
        if by_reporter:
            reporter_supplied_information(session, actor, ticket)
        else:
            mark_responded(session, actor, ticket)
        session.flush()
    return message


def list_attachments(
    session: Session, actor: Principal, *, ticket_id: uuid.UUID
) -> list[Attachment]:
    """The ticket's attachments, oldest first; internal ones only for those who see notes."""
    ticket = get_ticket(session, actor, ticket_id=ticket_id)
    return repository.attachments(session, ticket.id, public_only=not _sees_internal(actor))


def get_attachment(
    session: Session, actor: Principal, *, ticket_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    """The attachment's metadata, or AttachmentNotFound (also when the actor may not see it)."""
    ticket = get_ticket(session, actor, ticket_id=ticket_id)
    found = repository.attachment(session, ticket.id, attachment_id)
    if found is None or (found.visibility == Visibility.internal and not _sees_internal(actor)):
        raise AttachmentNotFound(f"No attachment with id {attachment_id} on this ticket.")
    return found


def attachment_content(
    session: Session, actor: Principal, *, ticket_id: uuid.UUID, attachment_id: uuid.UUID
) -> tuple[Attachment, bytes]:
    """The attachment and its bytes exactly as stored."""
    found = get_attachment(session, actor, ticket_id=ticket_id, attachment_id=attachment_id)
    data = repository.content(session, found.id)
    if data is None:
        raise AttachmentNotFound(f"No content stored for attachment {attachment_id}.")
    return found, data


def upload(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    file_name: str,
    data: bytes,
    message_id: uuid.UUID | None = None,
) -> Attachment:
    """Store a file that passed the size limit, the content check and (when configured) the
    virus scan; anything refused leaves nothing stored."""
    ticket = get_ticket(session, actor, ticket_id=ticket_id, for_update=True)
    visibility = _visibility_of(session, actor, ticket, message_id)
    _check_may_write(actor, ticket, visibility)
    name = clean_file_name(file_name)
    kind = _check_content(data, name)
    _scan(data)
    attachment = Attachment(
        ticket_id=ticket.id,
        message_id=message_id,
        visibility=visibility,
        file_name=name,
        content_type=kind,
        size=len(data),
        sha256=content.sha256_hex(data),
        uploaded_by=actor.label,
        uploaded_by_name=actor.name,
    )
    session.add(attachment)
    session.flush()
    session.add(AttachmentContent(attachment_id=attachment.id, data=data))
    session.flush()
    return attachment


def _visibility_of(
    session: Session, actor: Principal, ticket: Ticket, message_id: uuid.UUID | None
) -> Visibility:
    """An attachment is as visible as the message it belongs to; public without one."""
    if message_id is None:
        return Visibility.public
    message = repository.message(session, ticket.id, message_id)
    if message is None or (message.visibility == Visibility.internal and not _sees_internal(actor)):
        raise InvalidInput(
            "There is no such message on this ticket.",
            invalidParams=[
                {"name": "messageId", "pointer": "/messageId", "reason": "no such message"}
            ],
        )
    return message.visibility


def _check_content(data: bytes, name: str) -> str:
    limit = get_settings().attachment_max_bytes
    if len(data) > limit:
        raise AttachmentTooLarge(f"Attachments may be at most {limit} bytes.")
    if not data:
        raise InvalidInput(
            "The file is empty.",
            invalidParams=[{"name": "file", "pointer": "/file", "reason": "empty file"}],
        )
    try:
        return content.check(data, name)
    except content.RefusedContent as exc:
        raise ContentRefused(
            f"This file is not accepted: {exc.reason}.", reason=exc.reason
        ) from exc


def _scan(data: bytes) -> None:
    """clamd's verdict when a scanner is configured; no verdict means no upload."""
    address = get_settings().clamd_address
    if not address:
        return
    try:
        result = content.scan(data, address=address)
    except content.ScanError as exc:
        log.warning("virus_scan_failed", error=type(exc).__name__)
        raise ScannerUnavailable(
            "The virus scanner gave no verdict; nothing was stored. Try again later.",
            headers={"Retry-After": "60"},
        ) from exc
    if not result.clean:
        raise VirusFound(
            f"The virus scanner found {result.signature}; nothing was stored.",
            signature=result.signature,
        )


_SEPARATORS = re.compile(r"[\\/]")


def redact_messages(session: Session, ticket: Ticket) -> int:
    """Replace the personal data in every message of the ticket; returns how many changed."""
    changed = 0
    for message in repository.all_messages(session, ticket.id):
        if privacy.find_personal_data(message.body):
            message.body, message.redacted = privacy.redact(message.body), True
            changed += 1
    ticket.privacy_findings = [
        f for f in ticket.privacy_findings if not f["field"].startswith("messages/")
    ]
    return changed


def clean_file_name(name: str) -> str:
    """The last path segment, NFC, without control characters, at most 255 characters with
    the extension kept; 'attachment' when nothing is left."""
    base = unicodedata.normalize("NFC", _SEPARATORS.split(name)[-1])
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    base = base.lstrip(".").strip() or "attachment"
    if len(base) > _MAX_NAME:
        suffix = PurePosixPath(base).suffix[:20]
        base = base[: _MAX_NAME - len(suffix)] + suffix
    return base
