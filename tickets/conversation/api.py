"""Routes of a ticket's conversation: messages and attachments."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Path, Query, Response, UploadFile

from core.api.deps import SessionDep, require_any
from core.api.idempotency import Idempotency, IdempotencyDep
from core.api.openapi import API_PREFIX, PROBLEM_REF
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from core.settings import get_settings
from tickets import permissions
from tickets.conversation import service
from tickets.conversation.models import Attachment
from tickets.conversation.schemas import (
    AttachmentList,
    AttachmentPublic,
    MessageCreate,
    MessagePage,
    MessagePublic,
)

router = APIRouter(
    prefix=API_PREFIX + "/tickets", tags=["ticket conversation"], route_class=ThreadedRoute
)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.WORK, permissions.REPORT)]
Writer = Annotated[Principal, require_any(permissions.WORK, permissions.REPORT)]
TicketId = Annotated[uuid.UUID, Path(alias="ticketId")]
AttachmentId = Annotated[uuid.UUID, Path(alias="attachmentId")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[!-~]+$",
        description="Any unique string; a retry with the same key replays the first answer.",
    ),
]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }


UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: _problem("The file exceeds the attachment size limit"),
    415: _problem("The content is of a kind not accepted (executables, active content)"),
    422: _problem("The virus scanner found malware; nothing was stored"),
    503: _problem("The virus scanner is configured but gave no verdict; nothing was stored"),
}
CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The bytes, with the content type determined at upload",
        # Whatever was sniffed at upload (PDF, PNG, text, ...), so any type may come back.
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file name",
                "schema": {"type": "string"},
            }
        },
    }
}


@router.get("/{ticketId}/messages", response_model=MessagePage, summary="A ticket's messages")
def list_messages(
    ticket_id: TicketId,
    session: SessionDep,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> MessagePage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_messages(
        session, actor, ticket_id=ticket_id, limit=limit, after=after
    )
    items = [MessagePublic.model_validate(r) for r in rows]
    return MessagePage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post(
    "/{ticketId}/messages",
    response_model=MessagePublic,
    status_code=201,
    summary="Reply or add an internal note",
)
def post_message(
    ticket_id: TicketId,
    body: MessageCreate,
    session: SessionDep,
    actor: Writer,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[MessagePublic, dict[str, str]]:
        message = service.post_message(session, actor, ticket_id=ticket_id, data=body)
        return MessagePublic.model_validate(message), {}

    return idem.respond(session, actor, produce)


@router.get(
    "/{ticketId}/attachments", response_model=AttachmentList, summary="A ticket's attachments"
)
def list_attachments(ticket_id: TicketId, session: SessionDep, actor: Reader) -> AttachmentList:
    rows = service.list_attachments(session, actor, ticket_id=ticket_id)
    return AttachmentList(items=[AttachmentPublic.model_validate(r) for r in rows])


@router.post(
    "/{ticketId}/attachments",
    response_model=AttachmentPublic,
    status_code=201,
    summary="Attach a file",
    description="multipart/form-data with one `file` and optionally the `messageId` it belongs "
    "to (an attachment is as visible as its message). The content type is determined from "
    "the bytes; executables and active content are refused with 415.",
    responses=UPLOAD_RESPONSES,
)
def upload_attachment(
    ticket_id: TicketId,
    session: SessionDep,
    actor: Writer,
    file: Annotated[UploadFile, File(description="The file; one per request")],
    message_id: Annotated[uuid.UUID | None, Form(alias="messageId")] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    # One byte past the limit is enough to know it is too large.
    data = file.file.read(get_settings().attachment_max_bytes + 1)
    name = file.filename or ""
    # The multipart body is parsed before dependencies run, so the retry is recognised by
    # what was uploaded rather than by the raw body.
    request = f"{ticket_id}\0{message_id}\0{name}\0".encode() + data
    idem = Idempotency(idempotency_key, hashlib.sha256(request).hexdigest())

    def produce() -> tuple[AttachmentPublic, dict[str, str]]:
        attachment = service.upload(
            session, actor, ticket_id=ticket_id, file_name=name, data=data, message_id=message_id
        )
        location = f"{API_PREFIX}/tickets/{ticket_id}/attachments/{attachment.id}"
        return AttachmentPublic.model_validate(attachment), {"Location": location}

    return idem.respond(session, actor, produce)


@router.get(
    "/{ticketId}/attachments/{attachmentId}",
    response_model=AttachmentPublic,
    summary="An attachment's details",
)
def get_attachment(
    ticket_id: TicketId, attachment_id: AttachmentId, session: SessionDep, actor: Reader
) -> AttachmentPublic:
    found = service.get_attachment(session, actor, ticket_id=ticket_id, attachment_id=attachment_id)
    return AttachmentPublic.model_validate(found)


@router.get(
    "/{ticketId}/attachments/{attachmentId}/content",
    summary="Download an attachment",
    response_class=Response,
    responses=CONTENT_RESPONSES,
)
def attachment_content(
    ticket_id: TicketId, attachment_id: AttachmentId, session: SessionDep, actor: Reader
) -> Response:
    found, data = service.attachment_content(
        session, actor, ticket_id=ticket_id, attachment_id=attachment_id
    )
    return Response(data, media_type=found.content_type, headers=download_headers(found))


def download_headers(found: Attachment) -> dict[str, str]:
    """Always a download, never rendered inline; the name in RFC 6266 form."""
    fallback = found.file_name.encode("ascii", "replace").decode().replace('"', "'")
    fallback = fallback.replace("\\", "_")
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(found.file_name)}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
