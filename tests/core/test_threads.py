"""A request's blocking work crosses to a worker thread as few times as it can: authentication,
then the endpoint with its commit. Each hand-off costs CPU on every request (bench/README.md)."""

from __future__ import annotations

import uuid

import anyio.to_thread
import pytest

from core.db import unit_of_work
from services.catalogue.models import CatalogueEntry
from tests.factories import auth, make_tenant, make_token

SERVICE = {"code": "HOP-1", "name": "Werkplek", "domain": "A", "subdomain": 1}


@pytest.fixture
def hand_offs(monkeypatch) -> list[str]:
    """The name of each function the app hands to its threadpool, in order."""
    seen: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(getattr(func, "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return seen


def test_a_read_and_a_write_each_hand_off_twice(client, hand_offs) -> None:
    tenant = make_tenant()
    token = make_token(tenant)
    created = client.post("/api/v1/services", headers=auth(token), json=SERVICE)
    assert created.status_code == 201, created.text
    assert len(hand_offs) == 2, hand_offs  # authentication; the endpoint with its commit
    hand_offs.clear()
    read = client.get(created.headers["Location"], headers=auth(token))
    assert read.status_code == 200 and read.json()["code"] == "HOP-1"
    assert len(hand_offs) == 2, hand_offs
    with unit_of_work(tenant.id, read_only=True) as session:  # committed before the answer
        key = (tenant.id, uuid.UUID(created.json()["id"]))
        assert session.get(CatalogueEntry, key) is not None


def test_an_endpoint_that_refuses_commits_nothing(client, hand_offs) -> None:
    token = make_token(make_tenant())
    assert client.post("/api/v1/services", headers=auth(token), json=SERVICE).status_code == 201
    again = client.post("/api/v1/services", headers=auth(token), json=SERVICE | {"name": "Twee"})
    assert again.status_code == 409, again.text
    listed = client.get("/api/v1/services", headers=auth(token)).json()["items"]
    assert [s["name"] for s in listed] == ["Werkplek"]
