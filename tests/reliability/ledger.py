"""A client that writes under faults and records every write the API acknowledged (2xx).

Creates carry an Idempotency-Key and are retried with the same key after a transport failure
(or a 5xx/409 while the server recovers); transitions carry If-Match from a fresh read, so a
retry of one that did take effect is seen as done rather than applied twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

RETRY_STATUSES = {409, 500, 502, 503, 504}
GIVE_UP_SECONDS = 45.0


@dataclass
class Ledger:
    tickets: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> ticket id
    messages: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> message id
    transitions: list[tuple[str, str, str]] = field(default_factory=list)  # ticket, from, to
    retried: int = 0
    unacknowledged: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Writer:
    """One thread's writes: report a ticket, work it, write to it, resolve it; again."""

    def __init__(self, base: str, token: str, ledger: Ledger, stop: threading.Event) -> None:
        self.http = httpx2.Client(base_url=base, timeout=10.0)
        self.auth = {"Authorization": f"Bearer {token}"}
        self.ledger, self.stop = ledger, stop

    def run(self) -> None:
        while not self.stop.is_set():
            ticket = self.create()
            if ticket is None:
                continue
            if self.transition(ticket, "new", "in-progress", {}):
                self.message(ticket)
                self.transition(ticket, "in-progress", "resolved", {"resolution": "Restarted."})
        self.http.close()

    def create(self) -> str | None:
        key = f"ledger-{uuid.uuid4()}"
        body = _incident(title=f"Fault ledger {key}")
        r = self._send("POST", "/api/v1/tickets", body, {"Idempotency-Key": key})
        if r is None or r.status_code != 201:
            return None
        with self.ledger.lock:
            self.ledger.tickets[key] = r.json()["id"]
        return str(r.json()["id"])

    def message(self, ticket: str) -> None:
        key = f"ledger-{uuid.uuid4()}"
        url = f"/api/v1/tickets/{ticket}/messages"
        r = self._send("POST", url, {"body": f"Update {key}"}, {"Idempotency-Key": key})
        if r is not None and r.status_code == 201:
            with self.ledger.lock:
                self.ledger.messages[key] = r.json()["id"]

    def transition(self, ticket: str, before: str, after: str, extra: dict[str, Any]) -> bool:
        """True when the ticket reached `after`; recorded only when this call was answered 2xx."""
        return bool(self._until(lambda: self._try_transition(ticket, before, after, extra)))

    def _try_transition(
        self, ticket: str, before: str, after: str, extra: dict[str, Any]
    ) -> bool | None:
        read = self._send("GET", f"/api/v1/tickets/{ticket}", None, {})
        if read is None or read.status_code != 200:
            return False
        if read.json()["status"] == after:
            return True  # an earlier attempt took effect though its answer was lost
        headers = {"If-Match": f'"{read.json()["version"]}"'}
        url = f"/api/v1/tickets/{ticket}/transitions"
        r = self._send_once("POST", url, {"status": after, **extra}, headers)
        if r is None or r.status_code != 200:
            return None  # try again from a fresh read
        with self.ledger.lock:
            self.ledger.transitions.append((ticket, before, after))
        return True

    def _send(self, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
        """Send until answered other than by a transport failure or a recoverable status."""

        def answered() -> Any:
            r = self._send_once(method, url, body, headers)
            return r if r is not None and r.status_code not in RETRY_STATUSES else None

        return self._until(answered)

    def _until(self, attempt: Callable[[], Any]) -> Any:
        """Repeat `attempt` until it gives an answer (not None) or GIVE_UP_SECONDS pass."""
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while time.monotonic() < deadline:
            answer = attempt()
            if answer is not None:
                return answer
            with self.ledger.lock:
                self.ledger.retried += 1
            time.sleep(0.2)
        with self.ledger.lock:
            self.ledger.unacknowledged += 1
        return None

    def _send_once(self, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
        try:
            return self.http.request(method, url, json=body, headers={**self.auth, **headers})
        except httpx2.TransportError:
            return None


def _incident(**overrides: Any) -> dict[str, Any]:
    from tests.tickets.helpers import incident

    return incident(**overrides)
