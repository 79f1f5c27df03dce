"""Admission: at most as many requests inside a process as its database pool has connections.

Without it an overloaded process takes in every request at once. Each one's steps run in the
threadpool one after another (authentication, the endpoint, the commit), and a request that
holds a pooled connection then waits for a thread, while the threads are busy with newer
requests waiting for a connection: nothing moves until the pool's timeout fails them (500),
and with a pool as large as the threadpool, two processes open more connections than
PostgreSQL allows. Measured open-loop (bench/open_loop.py), gets at 300/s on a process pair
that serves 400/s closed-loop fell to 88/s with answers of 3-10 s and 500s.

Here a request waits in the event loop, holding nothing, until one of `limit` slots is free.
When `queue` requests already wait, or the wait passes `wait_seconds`, it is answered 503
with Retry-After instead: the admitted requests keep the whole capacity, and a client learns
at once that it should come back. Health probes and static files are never held up.
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from core.api.problems import send_problem

log = structlog.get_logger("regie.http")

RETRY_AFTER_SECONDS = 1
EXEMPT = ("/health", "/ready", "/metrics", "/static/")


class Admission:
    def __init__(self, app: ASGIApp, *, limit: int, queue: int, wait_seconds: float) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)
        self.queue, self.wait_seconds = queue, wait_seconds
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        if not await self._admitted():
            log.warning("request_refused_busy", waiting=self.waiting)
            await _busy(send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()

    async def _admitted(self) -> bool:
        """Take a slot, waiting behind at most `queue` others for at most `wait_seconds`."""
        if not self.slots.locked():  # a slot is free and nobody waits: taken at once
            await self.slots.acquire()
            return True
        if self.waiting >= self.queue:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self.slots.acquire(), self.wait_seconds)
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1
        return True


async def _busy(send: Send) -> None:
    await send_problem(
        send,
        503,
        "service-busy",
        "Service busy",
        "The service is handling as many requests as it can. Retry in a moment.",
        headers=((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),),
    )
