"""A restarted PostgreSQL costs no request and no outbox attempt: pooled connections that the
restart cut are noticed and replaced before use, not handed to a request or a drain."""

from __future__ import annotations

import httpx2
import pytest

from tests.reliability.conftest import Stack
from tests.tickets.helpers import AGENT

pytestmark = pytest.mark.reliability


def test_requests_after_a_database_restart_are_answered(stack: Stack) -> None:
    made = stack.regie("tenant", "create", "restart", "--name", "Restart")
    assert made.returncode == 0, made.stderr
    perms = [f"--permission={p}" for p in AGENT]
    token = stack.regie("apikey", "create", "--tenant", "restart", "--name", "t", *perms)
    headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
    stack.start("api")
    try:
        with httpx2.Client(base_url=stack.base, headers=headers, timeout=10) as http:
            for _ in range(3):  # the pool now holds open connections
                assert http.get("/api/v1/tickets").status_code == 200
            stack.pg.restart()
            answers = [http.get("/api/v1/tickets").status_code for _ in range(5)]
        assert answers == [200] * 5
    finally:
        stack.kill("api")
