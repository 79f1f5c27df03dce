"""API keys stop working the moment they expire or are revoked, in every process."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import httpx2
from sqlalchemy import text

from core.db import unit_of_work
from core.identity.service import MANAGE_KEYS, create_api_key
from core.types import utcnow
from services.catalogue import permissions as catalogue
from tests.factories import auth, make_tenant, make_token
from tests.fixtures import wait_for_http
from tests.regie.test_up import free_port


def test_an_expired_key_is_refused_on_the_very_next_request(client) -> None:
    tenant = make_tenant()
    expires = utcnow() + timedelta(seconds=1.5)
    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(
            session, name="short", permissions=[catalogue.READ], expires_at=expires
        )
    assert client.get("/api/v1/services", headers=auth(token)).status_code == 200
    time.sleep(max(0.0, (expires - utcnow()).total_seconds()) + 0.05)
    refused = client.get("/api/v1/services", headers=auth(token))
    assert refused.status_code == 401, "a key kept working after its expiresAt"


def _serve(processes) -> str:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = processes.start(
        sys.executable, "-m", "regie.cli", "serve", "--port", str(port), log_name="serve.log"
    )
    wait_for_http(server, base + "/health")
    return base


def test_a_key_revoked_through_one_process_is_refused_at_once_by_another(processes) -> None:
    tenant = make_tenant()
    manager = make_token(tenant, [MANAGE_KEYS, catalogue.READ])
    with unit_of_work(tenant.id) as session:
        key, token = create_api_key(session, name="integration", permissions=[catalogue.READ])
    first, second = _serve(processes), _serve(processes)
    with httpx2.Client(timeout=10) as http:
        for base in (first, second):  # both processes have seen the key work
            assert http.get(base + "/api/v1/services", headers=auth(token)).status_code == 200
        revoked = http.delete(f"{first}/api/v1/api-keys/{key.id}", headers=auth(manager))
        assert revoked.status_code == 200, revoked.text
        again = http.get(second + "/api/v1/services", headers=auth(token))
        assert again.status_code == 401, "the other process still accepted the revoked key"
        assert http.get(second + "/api/v1/services", headers=auth(manager)).status_code == 200


def test_checking_a_key_does_not_queue_behind_a_write_in_progress(client, owner_engine) -> None:
    tenant = make_tenant()
    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(session, name="reader", permissions=[catalogue.READ])
    assert client.get("/api/v1/services", headers=auth(token)).status_code == 200  # use stamped
    with owner_engine.begin() as conn:  # another request's write holds the lock meanwhile
        conn.execute(text("UPDATE core_tenant SET name = name WHERE slug = :s"), {"s": tenant.slug})
        started = time.monotonic()
        read = client.get("/api/v1/services", headers=auth(token))
        waited = time.monotonic() - started
    assert read.status_code == 200 and waited < 5, f"{read.status_code} after {waited:.1f}s"
