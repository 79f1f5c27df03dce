"""Web sign-in through the real OpenID provider: code + PKCE, server-side sessions, CSRF."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.db import unit_of_work
from core.identity import access
from core.identity.models import WebSession
from core.identity.sessions import COOKIE
from core.settings import get_settings
from core.tenancy import Tenant
from core.types import utcnow
from tests.conftest import TMP
from tests.regie.test_up import free_port
from tests.support.oidc_provider import OidcProvider

WEB_SECRET = "web-client-secret-for-tests"


@pytest.fixture(scope="module")
def idp():
    provider = OidcProvider(TMP, free_port())
    provider.dir = provider.directory()
    provider.principal(provider.dir)  # the directory needs one API client too
    provider.admin_oid = provider.user(
        provider.dir, "anna", name="Anna de Vries", roles=["client-admin"]
    )
    provider.plain_oid = provider.user(provider.dir, "bram", name="Bram")
    provider.register_web("regie-web", WEB_SECRET, get_settings().public_url)
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def tenant(idp, monkeypatch):
    return web_tenant(idp, monkeypatch)


def web_tenant(idp, monkeypatch) -> Tenant:
    """A tenant whose people sign in through `idp`, with Regie set up as its web client."""
    monkeypatch.setattr(get_settings(), "entra_authority", idp.authority)
    monkeypatch.setattr(get_settings(), "oidc_client_id", "regie-web")
    from pydantic import SecretStr

    monkeypatch.setattr(get_settings(), "oidc_client_secret", SecretStr(WEB_SECRET))
    found = Tenant(slug=f"web-{uuid.uuid4().hex[:6]}", name="Web client", entra_tenant_id=idp.dir)
    with unit_of_work(None) as session:
        session.add(found)
    access._tenants.clear()
    return found


@pytest.fixture
def browser(app):
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def sign_in(browser, idp, tenant, login: str = "anna"):
    start = browser.get(f"/sign-in?tenant={tenant.slug}")
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = dict(p.split("=", 1) for p in urlsplit(authorize).query.split("&"))
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    back = idp.sign_in(authorize, login)
    done = browser.get(_local(back))
    return back, done


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def test_sign_in_creates_a_server_side_session(browser, idp, tenant) -> None:
    _back, done = sign_in(browser, idp, tenant)
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower() and "eyJ" not in cookie  # no token in the browser
    page = browser.get("/", headers={"Accept-Language": "nl"})
    assert "Aangemeld als Anna de Vries" in page.text
    with unit_of_work(tenant.id) as session:
        web = session.exec(select(WebSession)).one()
    assert web.user_tid == idp.dir and web.user_oid == idp.admin_oid
    assert web.app_roles == ["client-admin"]


def test_the_callback_works_once_and_checks_state(browser, idp, tenant) -> None:
    back, done = sign_in(browser, idp, tenant)
    assert done.status_code == 303
    browser.cookies.clear()
    assert browser.get(_local(back)).status_code == 403  # replayed
    forged = re.sub(r"state=[^&]+", f"state={tenant.id.hex}.forged", _local(back))
    assert browser.get(forged).status_code == 403
    assert browser.get("/auth/callback?state=nonsense&code=x").status_code == 400


def test_unknown_organisation_is_404(browser, tenant) -> None:
    assert browser.get("/sign-in?tenant=no-such-org").status_code == 404


def test_sign_out_needs_csrf_and_ends_the_session_here_and_there(browser, idp, tenant) -> None:
    sign_in(browser, idp, tenant)
    page = browser.get("/?lang=en")
    assert browser.post("/sign-out", data={"csrf": "wrong"}).status_code == 403
    out = browser.post("/sign-out", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    assert out.headers["location"].startswith(f"{idp.authority}/{idp.dir}/v2.0/session/end")
    assert "id_token_hint=" in out.headers["location"]
    with unit_of_work(tenant.id) as session:
        web = session.exec(select(WebSession)).one()
    assert web.ended_reason == "signed out"
    assert "Signed in as" not in browser.get("/?lang=en").text


def test_idle_and_absolute_limits_end_the_session(browser, idp, tenant) -> None:
    sign_in(browser, idp, tenant)
    assert "Signed in as" in browser.get("/?lang=en").text
    with unit_of_work(tenant.id) as session:
        web = session.exec(select(WebSession)).one()
        web.last_seen_at = utcnow() - timedelta(minutes=tenant.session_idle_minutes + 1)
    assert "Signed in as" not in browser.get("/?lang=en").text
    with unit_of_work(tenant.id) as session:
        assert session.exec(select(WebSession)).one().ended_reason == "expired"
    sign_in(browser, idp, tenant)
    with unit_of_work(tenant.id) as session:
        web = session.exec(select(WebSession).where(WebSession.ended_at.is_(None))).one()
        web.expires_at = utcnow() - timedelta(seconds=1)
    assert "Signed in as" not in browser.get("/?lang=en").text


def test_a_user_ends_another_of_their_sessions(app, idp, tenant) -> None:
    laptop = TestClient(app, base_url="https://testserver", follow_redirects=False)
    phone = TestClient(app, base_url="https://testserver", follow_redirects=False)
    sign_in(laptop, idp, tenant)
    sign_in(phone, idp, tenant)
    listing = laptop.get("/account/sessions")
    assert listing.text.count("<tr>") == 3  # header + two sessions
    other = re.search(r'action="/account/sessions/([0-9a-f-]+)/end"', listing.text)[1]
    ended = laptop.post(f"/account/sessions/{other}/end", data={"csrf": csrf_of(listing.text)})
    assert ended.status_code == 303
    assert "Signed in as" not in phone.get("/?lang=en").text
    assert "Signed in as" in laptop.get("/?lang=en").text


def test_an_administrator_ends_a_users_sessions_through_the_api(
    client, browser, idp, tenant
) -> None:
    sign_in(browser, idp, tenant, login="bram")
    from tests.factories import make_token

    admin = {"Authorization": f"Bearer {make_token(tenant, ['identity.sessions:manage'])}"}
    url = f"/api/v1/sessions?userOid={idp.plain_oid}&userTid={idp.dir}"
    live = client.get(url, headers=admin).json()["items"]
    assert len(live) == 1 and live[0]["userName"] == "Bram"
    assert client.delete(f"/api/v1/sessions/{live[0]['id']}", headers=admin).status_code == 200
    assert "Signed in as" not in browser.get("/?lang=en").text
    other = {"Authorization": f"Bearer {make_token(_other_tenant(), ['identity.sessions:manage'])}"}
    assert client.get(url, headers=other).json()["items"] == []
    assert client.delete(f"/api/v1/sessions/{live[0]['id']}", headers=other).status_code == 404


def _other_tenant() -> Tenant:
    from tests.factories import make_tenant

    return make_tenant()


def test_demo_sign_in_only_when_enabled(browser, tenant, monkeypatch) -> None:
    assert browser.post("/sign-in/demo", data={"tenant": tenant.slug}).status_code == 404
    monkeypatch.setattr(get_settings(), "demo_sign_in", True)
    r = browser.post("/sign-in/demo", data={"tenant": tenant.slug})
    assert r.status_code == 303 and "Signed in as Demo user" in browser.get("/?lang=en").text


def test_a_user_cannot_end_someone_elses_session(app, idp, tenant) -> None:
    anna = TestClient(app, base_url="https://testserver", follow_redirects=False)
    bram = TestClient(app, base_url="https://testserver", follow_redirects=False)
    sign_in(anna, idp, tenant, login="anna")
    sign_in(bram, idp, tenant, login="bram")
    with unit_of_work(tenant.id) as session:
        theirs = session.exec(select(WebSession).where(WebSession.user_oid == idp.plain_oid)).one()
    page = anna.get("/account/sessions")
    r = anna.post(f"/account/sessions/{theirs.id}/end", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 404
    assert "Signed in as Bram" in bram.get("/?lang=en").text


def test_sign_in_sign_out_and_failed_sign_in_are_security_events(browser, idp, tenant) -> None:
    from tests.audit.helpers import records

    back, _done = sign_in(browser, idp, tenant)
    page = browser.get("/?lang=en")
    browser.post("/sign-out", data={"csrf": csrf_of(page.text)})
    browser.get(_local(back))  # a replayed callback: a failed sign-in
    kinds = [r["event"]["kind"] for r in records(tenant.id, "security_event")]
    assert kinds == ["session.signed-in", "session.signed-out", "credential.refused"]
