"""Sending one mail over SMTP with the standard library."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

# (file name, media type "maintype/subtype", bytes)
Attachment = tuple[str, str, bytes]


def send(
    url: str,
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    timeout: float = 10,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Hand the mail to the server at `url` (smtp:// with STARTTLS when offered, or smtps://);
    raises on any refusal, so the outbox tries again later."""
    parts = urlsplit(url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(usegmt=True)
    # Stable per notification: a receiver can drop the copy a retry after a crash may send.
    message["Message-ID"] = f"<{message_id}@{sender.rpartition('@')[2] or 'regie'}>"
    message.set_content(body)
    for name, media_type, data in attachments:
        maintype, _, subtype = media_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    context = ssl.create_default_context()
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
    with client:
        client.ehlo()
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
