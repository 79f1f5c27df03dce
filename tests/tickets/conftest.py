"""Ticket test fixtures: one tenant's desk and another's, and the real clamd."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from core.db import unit_of_work
from core.identity import access
from core.settings import get_settings
from core.tenancy import Tenant, TenantKind
from tests.conftest import TMP
from tests.factories import make_tenant
from tests.regie.test_up import free_port
from tests.support.clamd import clamd  # noqa: F401  (the real clamd, for attachment tests)
from tests.support.oidc_provider import AUDIENCE, OidcProvider
from tests.tickets.helpers import Desk


@pytest.fixture
def configure(monkeypatch) -> Iterator[Any]:
    """Set REGIE_* variables for one test; settings are read afresh and restored after."""

    def setenv(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"REGIE_{name.upper()}", value)
        get_settings.cache_clear()

    yield setenv
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def desk(client) -> Desk:
    return Desk(client, make_tenant())


@pytest.fixture
def other(client) -> Desk:
    return Desk(client, make_tenant())


@pytest.fixture(scope="module")
def idp():
    """A real OpenID provider with the supplier's directory and one line-1 agent in it."""
    provider = OidcProvider(TMP, free_port())
    provider.supplier_dir = provider.directory()
    provider.agent = provider.principal(
        provider.supplier_dir, roles=["agent-line-1"], scp="access", idtyp="user"
    )
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def supplier(idp, monkeypatch) -> Tenant:
    monkeypatch.setattr(get_settings(), "entra_authority", idp.authority)
    monkeypatch.setattr(get_settings(), "api_audience", AUDIENCE)
    tenant = Tenant(
        slug=f"supplier-{uuid.uuid4().hex[:6]}",
        name="Supplier",
        kind=TenantKind.supplier,
        entra_tenant_id=idp.supplier_dir,
    )
    with unit_of_work(None) as session:
        session.add(tenant)
    access._tenants.clear()
    return tenant
