"""Security events reach the log: refused credentials through identity's event, and grants
through capture."""

from __future__ import annotations

import uuid

from core import events
from core.db import unit_of_work
from core.identity.events import CredentialRefused
from core.tenancy import Tenant
from tests.audit.helpers import records


def _tenant_with_directory() -> Tenant:
    tenant = Tenant(slug=f"dir-{uuid.uuid4().hex[:8]}", name="x", entra_tenant_id=uuid.uuid4())
    with unit_of_work(None) as session:
        session.add(tenant)
    return tenant


def test_a_refused_token_is_recorded_in_its_directory_tenants_log(app) -> None:
    tenant = _tenant_with_directory()
    events.publish(
        CredentialRefused(
            reason="token expired",
            kind="token",
            tenant_id=None,
            directory_id=tenant.entra_tenant_id,
            client_address="192.0.2.7",
        )
    )
    (entry,) = records(tenant.id, "security_event")
    assert entry["action"] == "security"
    assert entry["event"] == {
        "kind": "credential.refused",
        "reason": "token expired",
        "credential": "token",
        "clientAddress": "192.0.2.7",
    }


def test_a_refusal_naming_no_tenant_is_not_recorded_anywhere(app) -> None:
    tenant = _tenant_with_directory()
    events.publish(
        CredentialRefused(
            reason="unknown directory",
            kind="token",
            tenant_id=None,
            directory_id=uuid.uuid4(),
            client_address=None,
        )
    )
    assert records(tenant.id) == []


def test_a_refused_api_key_is_recorded_in_the_tenant_it_names(client) -> None:
    from tests.factories import auth, make_tenant, make_token

    tenant = make_tenant()
    real = make_token(tenant)
    forged = real[: real.rindex("_") + 1] + "x" * 43
    assert client.get("/api/v1/services", headers=auth(forged)).status_code == 401
    (entry,) = records(tenant.id, "security_event")
    assert entry["event"]["kind"] == "credential.refused"
    assert entry["event"]["credential"] == "api_key"
