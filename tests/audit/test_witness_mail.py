"""Each client gets its witness copy without asking: every new signed checkpoint is mailed
through the outbox to the DAP's contacts for "audit-witness", once, and only its own."""

from __future__ import annotations

import json

from audit import checkpoints
from audit.service import verify_tenant
from core.db import unit_of_work
from core.outbox.service import drain
from core.tenancy import Tenant
from services.dap import permissions as dap_permissions
from services.dap.windows import today
from tests.audit.helpers import auditor_token, create_services, sign_now
from tests.factories import auth, make_tenant, make_token
from tests.support.smtp_sink import Inbox


def _dap(client, tenant: Tenant, *people: tuple[str, str, str]) -> None:
    token = make_token(tenant, [dap_permissions.READ, dap_permissions.MANAGE])
    recipients = [{"name": n, "email": e, "reports": [r]} for n, e, r in people]
    body = {"effectiveFrom": today().isoformat(), "reportRecipients": recipients}
    r = client.post("/api/v1/dap/versions", headers=auth(token), json=body)
    assert r.status_code == 201, r.text


def _lines(mails) -> list[dict]:
    out = []
    for mail in mails:
        [part] = [p for p in mail.walk() if p.get_filename()]
        out.append(json.loads(part.get_payload(decode=True)))
    return out


def test_each_new_checkpoint_is_mailed_once_to_the_tenants_witness(client, smtp: Inbox) -> None:
    tenant, other = make_tenant(), make_tenant()
    _dap(
        client,
        tenant,
        ("Anna de Vries", "anna@gemeente.example.nl", "audit-witness"),
        ("Bram Jansen", "bram@gemeente.example.nl", "monthly-sla"),
    )
    _dap(client, other, ("Carla Smit", "carla@provincie.example.nl", "audit-witness"))
    token = auditor_token(tenant)
    create_services(client, token, 2)
    first = sign_now(client, token)
    sign_now(client, token)  # nothing new: no checkpoint, no mail
    _dap(client, tenant, ("Anna de Vries", "anna@gemeente.example.nl", "audit-witness"))
    second = sign_now(client, token)
    drain(tenant.id)
    drain(other.id)

    mails = smtp.to("anna@gemeente.example.nl")
    got = _lines(mails)
    assert [cp["treeSize"] for cp in got] == [first["treeSize"], second["treeSize"]]
    assert {cp["tenant"] for cp in got} == {str(tenant.id)}
    assert mails[0]["Subject"].startswith("Auditlogboek: controlepunt")
    assert smtp.to("bram@gemeente.example.nl") == []  # not named for the witness copy
    assert smtp.to("carla@provincie.example.nl") == []  # another tenant's checkpoints
    # The mailed lines are the witness file the API gives, and the log checks against them.
    r = client.get("/api/v1/audit/witness", headers=auth(token))
    assert [json.loads(line) for line in r.text.splitlines()] == got
    with unit_of_work(tenant.id, read_only=True) as session:
        kept = [checkpoints.from_json(cp) for cp in got]
        assert verify_tenant(session, tenant.id, kept).ok
    assert drain(tenant.id) == 0 and len(smtp.to("anna@gemeente.example.nl")) == 2

    other_token = auditor_token(other)
    create_services(client, other_token, 1)
    sign_now(client, other_token)
    drain(other.id)
    [theirs] = _lines(smtp.to("carla@provincie.example.nl"))
    assert theirs["tenant"] == str(other.id)
    assert len(smtp.to("anna@gemeente.example.nl")) == 2
