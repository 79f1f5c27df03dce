"""Mail from any domain through the one SMTP sender the composition root sets (the tickets'
`tickets.mail.smtp.send`: core cannot import it), used only when an SMTP server is configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from core.settings import get_settings

SENDER: Callable[..., None] | None = None
log = structlog.get_logger("regie.core.mailer")


def send(*, to: str, subject: str, body: str, message_id: str, what: str, **extra: Any) -> bool:
    """Mail one outbox message; without an SMTP server, log that `what` was not mailed and
    answer False, so the message still counts as handled. A refusal raises, for a retry."""
    settings = get_settings()
    if settings.smtp_url is None or SENDER is None:
        log.info(f"{what}_not_mailed", message_id=message_id)
        return False
    SENDER(
        settings.smtp_url,
        sender=settings.smtp_from,
        to=to,
        subject=subject,
        body=body,
        message_id=message_id,
        **extra,
    )
    return True
