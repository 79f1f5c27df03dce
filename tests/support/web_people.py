"""Clients' directories of people at the test suite's OpenID provider, and a signed-in
browser (the test client, over https) for each person."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from core.db import unit_of_work
from core.identity import access
from core.settings import get_settings
from core.tenancy import Tenant
from tests.conftest import TMP
from tests.core.test_web_signin import WEB_SECRET, sign_in
from tests.regie.test_up import free_port
from tests.support.oidc_provider import OidcProvider

People = dict[str, tuple[str, list[str]]]  # login: (name, roles)


def directories(client: People, other: People | None = None) -> OidcProvider:
    """A started provider with the client's directory (`dir`) and, when given, another
    client's (`other`); `ids[login]` is each person's object id. Stop it when done."""
    provider = OidcProvider(TMP, free_port())
    provider.ids = {}  # type: ignore[attr-defined]
    for attribute, people in (("dir", client), ("other", other)):
        if people is None:
            continue
        directory = provider.directory()
        provider.principal(directory)  # a directory needs one API client too
        setattr(provider, attribute, directory)
        for login, (name, roles) in people.items():
            provider.ids[login] = provider.user(directory, login, name=name, roles=roles)  # type: ignore[attr-defined]
    provider.register_web("regie-web", WEB_SECRET, get_settings().public_url)
    provider.start()
    return provider


def browser_of(app: Any, idp: OidcProvider, tenant: Any, login: str) -> TestClient:
    """A browser in which `login` signed in to `tenant` through the provider."""
    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    sign_in(browser, idp, tenant, login=login)
    return browser


def signed_in(app: Any, idp: OidcProvider, tenant: Any, *logins: str) -> dict[str, TestClient]:
    """A signed-in browser for each of `logins`, by login."""
    return {login: browser_of(app, idp, tenant, login) for login in logins}


def other_client(idp: OidcProvider) -> Tenant:
    """Another client, whose people sign in through the provider's `other` directory."""
    found = Tenant(
        slug=f"web-{uuid.uuid4().hex[:6]}",
        name="Other client",
        entra_tenant_id=idp.other,  # type: ignore[attr-defined]
    )
    with unit_of_work(None) as session:
        session.add(found)
    access._tenants.clear()
    return found
