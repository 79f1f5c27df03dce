"""Change test fixtures: a client with its product and service owners in its own directory,
and the supplier's change managers, granted the role in the client's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from core.db import unit_of_work
from core.identity import access
from core.identity.roles import Role
from core.settings import get_settings
from core.tenancy import Tenant, TenantKind
from tests.changes.helpers import Cab, Desk, grant
from tests.conftest import TMP
from tests.factories import make_tenant
from tests.regie.test_up import free_port
from tests.support.oidc_provider import AUDIENCE, OidcProvider
from tests.support.smtp_sink import smtp  # noqa: F401  (the mail sink fixture)

PEOPLE = {
    "po": ("client", Role.product_owner),
    "po2": ("client", Role.product_owner),
    "so": ("client", Role.service_owner),
    "cm": ("supplier", Role.change_manager),
    "cm2": ("supplier", Role.change_manager),
}


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    """A real OpenID provider with the client's directory and the supplier's."""
    provider = OidcProvider(TMP, free_port())
    dirs = {"client": provider.directory(), "supplier": provider.directory()}
    provider.dirs = dirs  # type: ignore[attr-defined]
    people = {}
    for name, (side, role) in PEOPLE.items():
        # The client's people hold app roles of their own directory; the supplier's staff
        # get theirs by a grant in the client's tenant.
        roles = [role.value] if side == "client" else []
        people[name] = (
            dirs[side],
            provider.principal(dirs[side], roles=roles, scp="access", idtyp="user"),
        )
    provider.people = people  # type: ignore[attr-defined]
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def cab(client, idp, monkeypatch) -> Cab:
    """The client's tenant with its people, and the supplier's change managers granted there."""
    monkeypatch.setattr(get_settings(), "entra_authority", idp.authority)
    monkeypatch.setattr(get_settings(), "api_audience", AUDIENCE)
    suffix = uuid.uuid4().hex[:6]
    tenant = Tenant(slug=f"shn-{suffix}", name="Client", entra_tenant_id=idp.dirs["client"])
    supplier = Tenant(
        slug=f"supplier-{suffix}",
        name="Supplier",
        kind=TenantKind.supplier,
        entra_tenant_id=idp.dirs["supplier"],
    )
    with unit_of_work(None) as session:
        session.add_all([tenant, supplier])
    access._tenants.clear()
    for name, (side, role) in PEOPLE.items():
        if side == "supplier":
            grant(tenant, idp, name, role)
    return Cab(client, tenant, idp)


@pytest.fixture
def other(client) -> Desk:
    return Desk(client, make_tenant())
