"""Announcing a change's downtime to the client through the outbox, once per window.

An approved or scheduled change that causes downtime is announced the tenant's
`downtime_notice_days` before its planned start (change settings, default 5) to the DAP's
report recipients who receive "downtime-announcements". A change announced before and then
moved is announced again at once with its new window; one announced and then cancelled or
rejected (or no longer causing downtime) before its window gets a cancellation notice. Each
notice is a history row of the change (`downtime-announced`, `downtime-cancelled`) holding
the window and the recipients, added in the transaction that queues one outbox message per
recipient, so the sweep sends each notice once. Without recipients nothing is announced (and
nothing recorded), so recipients named later still get the notice. Mail is Dutch: the DAP
records no language. It leaves only when an SMTP server is configured.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from babel.dates import format_datetime
from sqlmodel import Session

from changes import config, repository
from changes.models import Change, ChangeEventKind, ChangeStatus
from changes.service import record
from core import mailer
from core.outbox.models import OutboxMessage
from core.outbox.service import handler, publish
from core.types import utcnow
from services.dap import public as dap

TOPIC = "changes.downtime_notice"
REPORT = "downtime-announcements"  # the DAP's report name for who receives these notices
ANNOUNCED = frozenset({ChangeStatus.approved, ChangeStatus.scheduled})
WITHDRAWN = frozenset({ChangeStatus.cancelled, ChangeStatus.rejected})
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
log = structlog.get_logger("regie.changes.downtime")


def sweep(session: Session, now: datetime | None = None) -> int:
    """Queue every notice due in the session's tenant; returns how many notices."""
    now = now or utcnow()
    recipients = dap.report_recipients(session, report=REPORT, on=now.astimezone(AMSTERDAM).date())
    if not recipients:
        return 0
    ahead = timedelta(days=config.current_settings(session).downtime_notice_days)
    made = 0
    for change in repository.downtime_ahead(session, now, ANNOUNCED):
        assert change.planned_start is not None and change.planned_end is not None  # queried
        window = {"start": change.planned_start.isoformat(), "end": change.planned_end.isoformat()}
        last = repository.last_downtime_notice(session, change.id)
        moved = last is not None and last.kind == ChangeEventKind.downtime_announced
        if moved and last is not None and _window(last.data) == window:
            continue  # this window was announced
        if not moved and change.planned_start - ahead > now:
            continue  # not yet due
        earlier = _window(last.data) if moved and last is not None else None
        text = announcement(change, earlier)
        _notify(session, change, ChangeEventKind.downtime_announced, text, window, recipients)
        made += 1
    for change in repository.downtime_withdrawn(session, now, WITHDRAWN):
        last = repository.last_downtime_notice(session, change.id)
        if last is None or last.kind != ChangeEventKind.downtime_announced:
            continue  # never announced, or its cancellation was sent
        window = _window(last.data)
        if datetime.fromisoformat(window["start"]) <= now:
            continue  # the announced window began: too late to call it off
        text = cancellation(change, window)
        _notify(session, change, ChangeEventKind.downtime_cancelled, text, window, recipients)
        made += 1
    session.flush()
    return made


def _window(data: dict[str, Any]) -> dict[str, str]:
    return {"start": data["start"], "end": data["end"]}


def _notify(
    session: Session,
    change: Change,
    kind: ChangeEventKind,
    text: tuple[str, str],
    window: dict[str, str],
    recipients: list[dap.Recipient],
) -> None:
    subject, body = text
    emails = [r.email for r in recipients]
    span = f"{window['start']}/{window['end']}"
    record(session, None, change, kind, after=span[:200], recipients=emails, **window)
    for r in recipients:
        payload = {"changeId": str(change.id), "subject": subject, "body": body}
        publish(session, TOPIC, {**payload, "name": r.name, "email": r.email})


def _local(moment: datetime | str) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return format_datetime(moment, "EEEE d MMMM y 'om' HH:mm", tzinfo=AMSTERDAM, locale="nl")


def announcement(change: Change, earlier: dict[str, str] | None = None) -> tuple[str, str]:
    """Subject and text (Dutch) announcing the change's downtime; `earlier` is the window
    announced before, when the change moved."""
    assert change.planned_start is not None and change.planned_end is not None
    span = f"van {_local(change.planned_start)} tot {_local(change.planned_end)}"
    what = f'wijziging {change.number} "{change.title}"'
    if earlier is None:
        subject = f"Aankondiging onderhoud met onderbreking: {change.number} {change.title}"
        body = f"Voor {what} is de dienstverlening niet beschikbaar {span} (Nederlandse tijd)."
    else:
        subject = f"Gewijzigd onderhoud met onderbreking: {change.number} {change.title}"
        before = f"van {_local(earlier['start'])} tot {_local(earlier['end'])}"
        body = (
            f"De eerder aangekondigde onderbreking voor {what} ({before}) is verplaatst. "
            f"De dienstverlening is nu niet beschikbaar {span} (Nederlandse tijd)."
        )
    return subject[:200], body


def cancellation(change: Change, window: dict[str, str]) -> tuple[str, str]:
    """Subject and text (Dutch) calling off an announced window."""
    span = f"van {_local(window['start'])} tot {_local(window['end'])}"
    subject = f"Vervallen: onderhoud met onderbreking {change.number} {change.title}"
    body = (
        f'De aangekondigde onderbreking voor wijziging {change.number} "{change.title}" '
        f"{span} (Nederlandse tijd) gaat niet door."
    )
    return subject[:200], body


@handler(TOPIC)
def deliver(_session: Session, message: OutboxMessage) -> None:
    """Mail the notice to the message's recipient when an SMTP server is configured."""
    payload: dict[str, Any] = message.payload
    mailer.send(
        to=payload["email"],
        subject=payload["subject"],
        body=f"Beste {payload['name']},\n\n{payload['body']}\n\nMet vriendelijke groet,\nRegie",
        message_id=str(message.id),
        what="downtime_notice",
    )
