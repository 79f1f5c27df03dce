"""Apply the personal-data guard to a ticket's free text, in the tenant's mode.

Warn: the findings are stored on the ticket (field, kind, offsets; never the text itself) so
an agent sees where to redact. Block: the write is refused with 422, pointing at each place.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from tickets import privacy
from tickets.errors import PersonalDataRefused
from tickets.models import PrivacyMode, Ticket

# Ticket columns the guard reads, with their API names.
GUARDED = {
    "title": "title",
    "description": "description",
    "preceding_actions": "precedingActions",
    "investigation": "investigation",
}


def findings(values: dict[str, Any], fields: dict[str, str]) -> list[dict[str, Any]]:
    """Where personal data occurs in `values`, as {field, kind, start, end} with API names."""
    return [
        {"field": api, "kind": f.kind, "start": f.start, "end": f.end}
        for attr, api in fields.items()
        if isinstance(values.get(attr), str)
        for f in privacy.find_personal_data(values[attr])
    ]


def enforce(mode: PrivacyMode, found: list[dict[str, Any]]) -> None:
    """In block mode, refuse any finding: 422 naming field, kind and offsets of each."""
    if mode != PrivacyMode.block or not found:
        return
    raise PersonalDataRefused(
        "The text holds personal data of the client's own clients ("
        + ", ".join(sorted({f["kind"] for f in found}))
        + "); remove it and send again.",
        invalidParams=[
            {
                "name": f["field"],
                "pointer": f"/{f['field']}",
                "reason": f"{f['kind']} at characters {f['start']}-{f['end']}",
                "start": f["start"],
                "end": f["end"],
            }
            for f in found
        ],
    )


def check_ticket(session: Session, ticket: Ticket, mode: PrivacyMode) -> None:
    """Refuse (block) or record (warn) personal data in the ticket's guarded fields."""
    found = findings(ticket.model_dump(), GUARDED)
    enforce(mode, found)
    ticket.privacy_findings = found + _in_messages(ticket)


def check_message(ticket: Ticket, message_id: str, body: str, mode: PrivacyMode) -> None:
    """Refuse (block) or record on the ticket (warn) personal data in a message's body."""
    found = findings({"body": body}, {"body": "body"})
    enforce(mode, found)
    ticket.privacy_findings = ticket.privacy_findings + [
        {**f, "field": f"messages/{message_id}/body"} for f in found
    ]


def _in_messages(ticket: Ticket) -> list[dict[str, Any]]:
    return [f for f in ticket.privacy_findings if f["field"].startswith("messages/")]


def redact_ticket(ticket: Ticket) -> list[str]:
    """Replace every finding in the guarded fields; returns the fields that changed."""
    changed = []
    for attr, api in GUARDED.items():
        value = getattr(ticket, attr)
        if isinstance(value, str) and privacy.find_personal_data(value):
            setattr(ticket, attr, privacy.redact(value))
            changed.append(api)
    ticket.privacy_findings = findings(ticket.model_dump(), GUARDED) + _in_messages(ticket)
    return changed
