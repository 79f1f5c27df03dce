"""Fixtures for identity tests (a real OpenID provider with Entra-shaped directories), and
the jobs sent to the broker."""

from __future__ import annotations

import uuid

import pytest

from core import jobs
from core.db import unit_of_work
from core.identity import access
from core.settings import get_settings
from core.tenancy import Tenant, TenantKind
from tests.conftest import TMP
from tests.regie.test_up import free_port
from tests.support.oidc_provider import AUDIENCE, OidcProvider


@pytest.fixture(scope="module")
def idp():
    provider = OidcProvider(TMP, free_port())
    provider.client_dir = provider.directory()
    provider.supplier_dir = provider.directory()
    provider.stranger_dir = provider.directory()
    p = provider.principal
    cd, sd = provider.client_dir, provider.supplier_dir
    provider.admin = p(cd, roles=["client-admin"], scp="access", idtyp="user")
    provider.plain = p(cd, scp="access", idtyp="user")
    provider.mfa_user = p(cd, roles=["reporter"], scp="access", idtyp="user", acrs=["c1"])
    provider.app = p(cd, roles=["kpi-viewer"], idtyp="app")
    provider.overage = p(
        cd, scp="access", idtyp="user", groups=[str(uuid.uuid4()) for _ in range(250)]
    )
    provider.claim_names = p(
        cd,
        scp="access",
        idtyp="user",
        _claim_names={"groups": "src1"},
        _claim_sources={"src1": {"endpoint": "x"}},
    )
    provider.agent = p(sd, roles=["supplier-admin"], scp="access", idtyp="user")
    provider.reviewer = p(cd, roles=["key-user"], scp="access", idtyp="user")
    provider.stranger = p(provider.stranger_dir, roles=["client-admin"], scp="access", idtyp="user")
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def world(idp, monkeypatch):
    """A client tenant and the supplier tenant bound to the provider's directories."""
    monkeypatch.setattr(get_settings(), "entra_authority", idp.authority)
    monkeypatch.setattr(get_settings(), "api_audience", AUDIENCE)
    suffix = uuid.uuid4().hex[:6]
    client = Tenant(slug=f"client-{suffix}", name="Client", entra_tenant_id=idp.client_dir)
    other = Tenant(slug=f"other-{suffix}", name="Other client")
    supplier = Tenant(
        slug=f"supplier-{suffix}",
        name="Supplier",
        kind=TenantKind.supplier,
        entra_tenant_id=idp.supplier_dir,
    )
    with unit_of_work(None) as session:
        session.add_all([client, other, supplier])
    access._tenants.clear()  # the directories are re-bound to fresh tenants in every test
    return client, other, supplier


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list, float | None]]:
    """What reaches the broker: each send still goes to it, and is noted here."""
    found: list[tuple[str, list, float | None]] = []
    send = jobs.celery_app.send_task

    def noting(name: str, args: list, countdown: float | None = None, **kw):  # type: ignore[no-untyped-def]
        found.append((name, args, countdown))
        return send(name, args=args, countdown=countdown, **kw)

    monkeypatch.setattr(jobs.celery_app, "send_task", noting)
    return found
