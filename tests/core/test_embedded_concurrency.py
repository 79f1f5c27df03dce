"""Concurrent writers from more than one server process. On the embedded default (SQLite)
writers queue on the database lock instead of failing with `database is locked`; on either
database every create the API acknowledged is stored."""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request

from sqlmodel import select

from core.db import unit_of_work
from services.catalogue.models import CatalogueEntry
from tests.conftest import TMP
from tests.factories import make_tenant, make_token
from tests.fixtures import Processes, wait_for
from tests.regie.test_up import fetch, free_port

CLIENTS, CREATES = 8, 20


def _post(url: str, token: str, code: str) -> tuple[int, str]:
    body = json.dumps({"code": code, "name": f"Dienst {code}", "domain": "B", "subdomain": 3})
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())["id"]
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_eight_clients_create_at_once_through_a_live_server(processes: Processes) -> None:
    tenant = make_tenant()
    token = make_token(tenant)
    port, log_name = free_port(), f"serve-{free_port()}.log"
    server = processes.start(
        sys.executable,
        "-m",
        "regie.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        log_name=log_name,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: fetch(f"{base}/ready")[0] == 200, timeout=90, what="regie serve")
    assert server.poll() is None, "the port was taken by another server"
    start = threading.Barrier(CLIENTS)
    acknowledged: list[str] = []
    failures: list[tuple[int, str]] = []

    def client(n: int) -> None:
        start.wait()
        for i in range(CREATES):
            status, detail = _post(f"{base}/api/v1/services", token, f"C{n}-{i:03d}")
            (acknowledged if status == 201 else failures).append(
                detail if status == 201 else (status, detail)
            )

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    processes.kill(server)

    assert failures == []
    assert len(acknowledged) == CLIENTS * CREATES
    assert "database is locked" not in (TMP / log_name).read_text()
    with unit_of_work(tenant.id, read_only=True) as session:
        stored = {str(entry_id) for entry_id in session.exec(select(CatalogueEntry.id))}
    assert stored == set(acknowledged)
