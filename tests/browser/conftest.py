"""Chromium (Debian's, driven by Playwright) against a live Regie and the real OpenID provider.

One server on a free loopback port, one provider and one browser serve the whole session;
every test gets a fresh tenant, a fresh browser context (no cookies) and the settings that
point Regie at the provider. The UI's CSP is enforced, as in production.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Playwright, sync_playwright
from pydantic import SecretStr

from core.settings import get_settings
from core.tenancy import Tenant
from tests.browser.helpers import Site
from tests.conftest import CHROMIUM, TMP
from tests.core.test_web_signin import WEB_SECRET, web_tenant
from tests.fixtures import ROOT
from tests.regie.test_up import free_port
from tests.support.oidc_provider import OidcProvider

# Roles of the person who walks the pages: reports, works tickets, reads and requests reports,
# and manages problems.
ROLES = ["key-user", "kpi-viewer", "agent-line-1", "problem-manager"]
# The client's product owner, who orders the improvement backlog and decides on it: a client's
# role only, since a supplier's role would make her speak for the supplier.
OWNER_ROLES = ["product-owner"]


@pytest.fixture(scope="session")
def server_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def idp(server_url: str) -> Iterator[OidcProvider]:
    provider = OidcProvider(TMP, free_port())
    provider.dir = provider.directory()  # type: ignore[attr-defined]
    provider.principal(provider.dir)  # type: ignore[attr-defined]  # the directory needs one
    provider.anna = provider.user(provider.dir, "anna", name="Anna de Vries", roles=ROLES)  # type: ignore[attr-defined]
    # The client's admin, who reviews who may do what.
    provider.cleo = provider.user(provider.dir, "cleo", name="Cleo Bakker", roles=["client-admin"])  # type: ignore[attr-defined]
    # The change pages: a change manager raises changes, the client's product owner approves.
    provider.user(provider.dir, "carla", name="Carla Smit", roles=["change-manager"])  # type: ignore[attr-defined]
    provider.user(provider.dir, "paul", name="Paul de Wit", roles=["product-owner"])  # type: ignore[attr-defined]
    provider.user(provider.dir, "olga", name="Olga de Wit", roles=OWNER_ROLES)  # type: ignore[attr-defined]
    provider.register_web("regie-web", WEB_SECRET, server_url)
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def live_server(app, server_url: str) -> Iterator[str]:
    """The session's app served by uvicorn in a thread, sharing the test database."""
    port = int(server_url.rsplit(":", 1)[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="regie-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield server_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        subprocess.run([ROOT / "bin" / "setup", "--with-browser"], check=True)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    # The registry-only network leaves `playwright install` nothing to download: Debian's build.
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("REGIE_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def tenant(idp: OidcProvider, live_server: str, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    """A tenant signing in through the provider, with Regie's public address the live one."""
    monkeypatch.setattr(get_settings(), "public_url", live_server)
    found = web_tenant(idp, monkeypatch)
    monkeypatch.setattr(get_settings(), "oidc_client_secret", SecretStr(WEB_SECRET))
    return found


@pytest.fixture(params=["nl", "en"])
def site(
    request: pytest.FixtureRequest,
    chromium: Browser,
    live_server: str,
    idp: OidcProvider,
    tenant: Tenant,
    screenshots: Path,
) -> Iterator[Site]:
    """A fresh browser whose person reads `lang` (its Accept-Language), watched for errors."""
    lang = request.param
    context = chromium.new_context(
        locale="nl-NL" if lang == "nl" else "en-GB", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)  # generous: CI runs two test processes on two cores
    found = Site(context, live_server, idp.authority, tenant, lang, screenshots)
    yield found
    context.close()
    found.assert_no_console_errors()
