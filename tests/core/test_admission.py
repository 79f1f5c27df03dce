"""An overloaded process serves what it can and answers the rest 503 with Retry-After at once,
instead of taking every request in and failing them all after the pool's timeout."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.api.admission import Admission
from core.settings import get_settings
from regie.app import create_app


class Held:
    """An app whose requests stay inside until released: a slow request, on demand."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.inside = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.inside += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app: Any, path: str = "/api/v1/tickets") -> dict[str, Any]:
    """One GET through `app`: its status, headers and body."""
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            answer["body"] = message.get("body", b"")

    scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    await app(scope, receive, send)
    return answer


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `scenario` in a loop of its own thread (the browser tests keep one in this one)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def test_beyond_the_slots_and_the_queue_a_request_is_told_to_retry_at_once() -> None:
    async def scenario() -> None:
        inner = Held()
        app = Admission(inner, limit=1, queue=1, wait_seconds=30)
        first = asyncio.ensure_future(call(app))
        second = asyncio.ensure_future(call(app))  # waits for the slot
        await asyncio.sleep(0.05)
        refused = await asyncio.wait_for(call(app), timeout=1)  # neither slot nor queue left
        assert refused["status"] == 503
        assert refused["headers"]["content-type"] == "application/problem+json"
        assert refused["headers"]["retry-after"] == "1"
        problem = json.loads(refused["body"])
        assert problem["status"] == 503 and problem["type"].endswith("/service-busy")
        assert inner.inside == 1  # the refused request never reached the app
        health = asyncio.ensure_future(call(app, "/ready"))
        await asyncio.sleep(0.05)
        assert inner.inside == 2  # a health probe is never held up
        inner.release.set()
        answers = await asyncio.gather(first, second, health)
        assert [a["status"] for a in answers] == [200, 200, 200] and inner.inside == 3

    run(scenario)


def test_a_request_that_waits_too_long_for_a_slot_is_told_to_retry() -> None:
    async def scenario() -> None:
        inner = Held()
        app = Admission(inner, limit=1, queue=10, wait_seconds=0.1)
        first = asyncio.ensure_future(call(app))
        await asyncio.sleep(0.01)
        waited = await asyncio.wait_for(call(app), timeout=2)
        assert waited["status"] == 503 and inner.inside == 1
        inner.release.set()
        assert (await first)["status"] == 200
        assert (await call(app))["status"] == 200  # the slot was given back

    run(scenario)


def test_the_app_admits_as_many_requests_as_its_pool_has_connections() -> None:
    app = create_app()
    admission = [m for m in app.user_middleware if m.cls is Admission]
    assert len(admission) == 1
    assert admission[0].kwargs["limit"] == get_settings().db_pool_size
