"""Plain helpers for ticket tests: tokens per role, a valid incident, API shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.tenancy import Tenant
from tests.factories import auth, make_token
from tickets import permissions as p

REPORTER = [p.REPORT]
AGENT = [p.REPORT, p.READ, p.WORK]
ADMIN = [p.READ, p.CONFIGURE]


def incident(**overrides: Any) -> dict[str, Any]:
    body = {
        "type": "incident",
        "title": "Case overview does not load",
        "description": "The case overview page shows an error after login.",
        "impact": "high",
        "urgency": "high",
        "occurredAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "precedingActions": "Logged in and opened the overview.",
        "reproducible": True,
        "investigation": "Tried another browser; same error.",
        "causeOutsideService": False,
    }
    return {**body, **overrides}


class Desk:
    """One tenant's people as API callers: a reporter, an agent and an administrator."""

    def __init__(self, client: Any, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        self.reporter = make_token(tenant, REPORTER)
        self.agent = make_token(tenant, AGENT)
        self.admin = make_token(tenant, ADMIN)

    def report(self, token: str | None = None, **overrides: Any) -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/tickets", headers=auth(token or self.reporter), json=incident(**overrides)
        )
        assert r.status_code == 201, r.text
        return r.json()

    def get(self, ticket: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(token or self.agent))
        assert r.status_code == 200, r.text
        return r.json()

    def act(self, ticket: dict[str, Any], action: str, body: dict[str, Any], **kw: Any) -> Any:
        """POST an action with the ticket's current ETag, as the agent unless told otherwise."""
        token = kw.pop("token", self.agent)
        version = self.get(ticket)["version"]
        return self.client.post(
            f"/api/v1/tickets/{ticket['id']}/{action}",
            headers=auth(token, **{"If-Match": f'"{version}"'}),
            json=body,
        )

    def group(self, name: str, line: str, **extra: Any) -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/assignment-groups",
            headers=auth(self.admin),
            json={"name": name, "line": line, **extra},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def history(self, ticket: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.client.get(f"/api/v1/tickets/{ticket['id']}/history", headers=auth(self.agent))
        assert r.status_code == 200, r.text
        return r.json()["items"]
