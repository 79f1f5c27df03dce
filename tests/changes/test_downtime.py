"""Announced downtime: an approved change that causes downtime is mailed through the outbox to
the DAP's contacts for "downtime-announcements" the tenant's number of days ahead, once per
window, again when it moves, and called off when the change is cancelled."""

from __future__ import annotations

import uuid
from datetime import timedelta
from email.message import Message
from typing import Any

from sqlmodel import select

from changes import tasks
from changes.models import Change, ChangeEvent, ChangeEventKind, ChangeStatus, ChangeType
from core.db import unit_of_work
from core.outbox.service import drain
from core.tenancy import Tenant
from core.types import utcnow
from services.dap import permissions as dap_permissions
from services.dap.windows import today
from tests.changes.helpers import Desk
from tests.factories import auth, make_tenant, make_token
from tests.support.smtp_sink import Inbox

SETTINGS = "/api/v1/change-settings"


def _dap(client: Any, tenant: Tenant, *people: tuple[str, str, str]) -> None:
    token = make_token(tenant, [dap_permissions.READ, dap_permissions.MANAGE])
    recipients = [{"name": n, "email": e, "reports": [r]} for n, e, r in people]
    body = {"effectiveFrom": today().isoformat(), "reportRecipients": recipients}
    r = client.post("/api/v1/dap/versions", headers=auth(token), json=body)
    assert r.status_code == 201, r.text


def _change(
    tenant: Tenant, days: float, *, downtime: bool = True, number: str = "C-1"
) -> uuid.UUID:
    start = utcnow().replace(microsecond=0) + timedelta(days=days)
    change = Change(
        number=number,
        type=ChangeType.normal,
        status=ChangeStatus.scheduled,
        title="Upgrade the case system",
        description="New release.",
        reason="Out of support.",
        requested_by="test",
        requested_by_name="Test",
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        causes_downtime=downtime,
    )
    with unit_of_work(tenant.id) as session:
        session.add(change)
    return change.id


def _edit(tenant: Tenant, change_id: uuid.UUID, **values: Any) -> None:
    with unit_of_work(tenant.id) as session:
        change = session.get(Change, (tenant.id, change_id))
        assert change is not None
        for name, value in values.items():
            setattr(change, name, value)


def _text(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def _notices(tenant: Tenant, change_id: uuid.UUID) -> list[ChangeEvent]:
    kinds = (ChangeEventKind.downtime_announced, ChangeEventKind.downtime_cancelled)
    with unit_of_work(tenant.id, read_only=True) as session:
        rows = session.exec(select(ChangeEvent).where(ChangeEvent.change_id == change_id))
        return sorted((e for e in rows if e.kind in kinds), key=lambda e: e.at)


def test_downtime_is_announced_once_ahead_then_moved_and_called_off(client, smtp: Inbox) -> None:
    tenant, other = make_tenant(), make_tenant()
    _dap(
        client,
        tenant,
        ("Anna de Vries", "anna@gemeente.example.nl", "downtime-announcements"),
        ("Bram Jansen", "bram@gemeente.example.nl", "monthly-sla"),
    )
    _dap(client, other, ("Carla Smit", "carla@provincie.example.nl", "downtime-announcements"))
    soon = _change(tenant, 3)
    later = _change(tenant, 20, number="C-2")
    _change(tenant, 2, downtime=False, number="C-3")  # no downtime: nothing to announce
    theirs = _change(other, 1)

    assert tasks.announce_downtime() >= 2
    assert tasks.announce_downtime() == 0  # once per window
    assert drain(tenant.id) == 1 and drain(other.id) == 1
    [mail] = smtp.to("anna@gemeente.example.nl")
    assert "C-1" in mail["Subject"] and mail["Subject"].startswith("Aankondiging")
    text = _text(mail)
    assert text.startswith("Beste Anna de Vries,") and "niet beschikbaar" in text
    assert smtp.to("bram@gemeente.example.nl") == []  # not named for announcements
    [theirs_mail] = smtp.to("carla@provincie.example.nl")  # each tenant to its own contacts
    assert "Anna" not in _text(theirs_mail)
    [announced] = _notices(tenant, soon)
    assert announced.kind == ChangeEventKind.downtime_announced
    assert announced.data["recipients"] == ["anna@gemeente.example.nl"]
    assert _notices(tenant, later) == [] and len(_notices(other, theirs)) == 1

    # The tenant wants a month's notice: the later change is due now.
    desk = Desk(client, tenant)
    current = client.get(SETTINGS, headers=auth(desk.reader))
    assert current.json()["downtimeNoticeDays"] == 5
    bad = client.patch(
        SETTINGS,
        headers=auth(desk.configurer, **{"If-Match": current.headers["etag"]}),
        json={"downtimeNoticeDays": 0},
    )
    assert bad.status_code == 400
    assert [p["name"] for p in bad.json()["invalidParams"]] == ["downtimeNoticeDays"]
    ok = client.patch(
        SETTINGS,
        headers=auth(desk.configurer, **{"If-Match": current.headers["etag"]}),
        json={"downtimeNoticeDays": 30},
    )
    assert ok.status_code == 200 and ok.json()["downtimeNoticeDays"] == 30
    assert tasks.announce_downtime() == 1
    assert len(_notices(tenant, later)) == 1

    # Moved after its announcement: announced again at once, naming the old window.
    moved = utcnow().replace(microsecond=0) + timedelta(days=4)
    _edit(tenant, soon, planned_start=moved, planned_end=moved + timedelta(hours=3))
    assert tasks.announce_downtime() == 1 and tasks.announce_downtime() == 0
    first, again = _notices(tenant, soon)
    assert again.data["start"] == moved.isoformat() != first.data["start"]

    # Cancelled: the announced window is called off, once.
    _edit(tenant, soon, status=ChangeStatus.cancelled)
    assert tasks.announce_downtime() == 1 and tasks.announce_downtime() == 0
    assert [e.kind for e in _notices(tenant, soon)][-1] == ChangeEventKind.downtime_cancelled
    assert drain(tenant.id) == 3
    subjects = [m["Subject"] for m in smtp.to("anna@gemeente.example.nl")]
    assert [s.split(":")[0] for s in subjects] == [
        "Aankondiging onderhoud met onderbreking",
        "Aankondiging onderhoud met onderbreking",
        "Gewijzigd onderhoud met onderbreking",
        "Vervallen",
    ]
    assert "gaat niet door" in _text(smtp.to("anna@gemeente.example.nl")[-1])
    assert len(smtp.to("carla@provincie.example.nl")) == 1


def test_without_contacts_for_announcements_nothing_is_recorded(client, smtp: Inbox) -> None:
    tenant = make_tenant()
    _dap(client, tenant, ("Bram Jansen", "bram@gemeente.example.nl", "monthly-sla"))
    change = _change(tenant, 2)
    tasks.announce_downtime()
    assert drain(tenant.id) == 0 and smtp.received == []
    assert _notices(tenant, change) == []  # announced once contacts are named
    _dap(client, tenant, ("Anna de Vries", "anna@gemeente.example.nl", "downtime-announcements"))
    tasks.announce_downtime()
    assert drain(tenant.id) == 1 and len(smtp.to("anna@gemeente.example.nl")) == 1
