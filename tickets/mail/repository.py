"""All SQL of notifications. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from core.api.pagination import keyset, typed_cursor
from tickets.mail.models import Mail, MailAddress


def get(session: Session, mail_id: uuid.UUID) -> Mail | None:
    """One outgoing mail of the tenant."""
    return session.exec(select(Mail).where(Mail.id == mail_id)).first()


def page(
    session: Session, *, recipient_id: uuid.UUID | None, limit: int, after: list[Any] | None
) -> list[Mail]:
    """A page of outgoing mail, newest first, optionally for one recipient."""
    stmt = select(Mail)
    if recipient_id is not None:
        stmt = stmt.where(Mail.recipient_id == recipient_id)
    typed = typed_cursor(after, timestamp=True)
    stmt = keyset(stmt, col(Mail.created_at), col(Mail.id), descending=True, after=typed)
    return list(session.exec(stmt.limit(limit)))


def cursor_values(mail: Mail) -> list[Any]:
    """The keyset cursor after this mail, for the next page."""
    return [mail.created_at.isoformat(), str(mail.id)]


def address(session: Session, person_id: uuid.UUID) -> MailAddress | None:
    """A person's mail address, None when they have none on record."""
    return session.exec(select(MailAddress).where(MailAddress.person_id == person_id)).first()
