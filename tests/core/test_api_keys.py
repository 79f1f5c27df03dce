"""API keys stop working the moment they expire or are revoked, in every process."""

from __future__ import annotations

import sys
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx2
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from audit import permissions as audit_permissions
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


def test_a_read_checks_its_key_in_its_own_transaction_and_ends_it_whatever_happens(
    client,
) -> None:
    """A read's key check runs in the read's transaction. A route with a unit of work of its
    own (the audit log's, which records the reading), a refusal, and a route that fails all
    end every transaction they begin: none is left to the garbage collector."""
    tenant = make_tenant()
    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(
            session, name="reader", permissions=[catalogue.READ, audit_permissions.READ]
        )
    begun: set[int] = set()
    ended: set[int] = set()

    def on_begin(_session: Session, transaction: Any, _connection: Any) -> None:
        begun.add(id(transaction))

    def on_end(_session: Session, transaction: Any) -> None:
        ended.add(id(transaction))

    elsewhere = auth(token, **{"Regie-Tenant": "nobody"})
    event.listen(Session, "after_begin", on_begin)
    event.listen(Session, "after_transaction_end", on_end)
    try:
        answers = [
            client.get("/api/v1/services", headers=auth(token)).status_code,
            client.get("/api/v1/audit/entries", headers=auth(token)).status_code,
            client.get(f"/api/v1/services/{uuid.uuid4()}", headers=auth(token)).status_code,
            client.get("/api/v1/services", headers=auth(token[:-2] + "xx")).status_code,
            client.get("/api/v1/services", headers=elsewhere).status_code,
            client.get("/api/v1/tickets", headers=auth(token)).status_code,
            client.get("/api/v1/services", headers=auth(token)).status_code,
        ]
    finally:
        event.remove(Session, "after_begin", on_begin)
        event.remove(Session, "after_transaction_end", on_end)
    assert answers == [200, 200, 404, 401, 403, 403, 200]
    assert len(begun) >= 7 and begun <= ended, f"{len(begun - ended)} transaction(s) left open"
