"""scim2-tester against a served /scim/v2: no failure for what ServiceProviderConfig declares."""

from __future__ import annotations

import sys
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.core.test_scim import scim_token
from tests.factories import make_tenant
from tests.fixtures import wait_for_http
from tests.regie.test_up import free_port


def test_scim2_tester_reports_no_failure(client, processes) -> None:
    token = scim_token(client, make_tenant())
    port = free_port()
    proc = processes.start(
        sys.executable, "-m", "regie.cli", "serve", "--port", str(port), log_name="scim.log"
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_http(proc, base + "/health")
    http = httpx2.Client(base_url=base + "/scim/v2", headers={"Authorization": f"Bearer {token}"})
    results = check_server(SyncSCIMClient(http), raise_exceptions=False)
    print("scim2-tester:", Counter(r.status.name for r in results))
    failures = [(r.title, r.reason) for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert results and failures == []
