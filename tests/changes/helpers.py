"""Plain helpers for change tests: a tenant's callers, a complete change, API shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from changes import permissions as p
from core.db import unit_of_work
from core.identity.models import Grant, SubjectKind
from core.identity.roles import Role
from core.tenancy import Tenant
from tests.factories import auth, make_entries, make_token, make_worker
from tickets import permissions as tp

WRITER = [p.READ, p.WRITE, tp.READ]
READER = [p.READ]
CONFIGURER = [p.READ, p.CONFIGURE]
URL = "/api/v1/changes"
ANSWERS_LOW = {"downtime": "none", "reversible": "easily", "experience": "often"}
ANSWERS_HIGH = {"downtime": "long", "reversible": "hardly", "experience": "never"}


def plan(tested: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "steps": [{"action": "Stop the new release"}, {"action": "Deploy version 4.2 again"}],
        "expectedMinutes": 30,
        "executor": "Operations on duty",
        "trigger": "Error rate above 2 % for 5 minutes after the switch",
    }
    if tested:
        out["test"] = test_record()
    return out


def test_record() -> dict[str, Any]:
    return {
        "environment": "acceptance",
        "testedAt": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        "testedBy": "J. de Vries",
        "evidenceUrl": "https://wiki.example.nl/rollback-test-42",
    }


def window(days: int = 3, hours: int = 2) -> dict[str, str]:
    start = datetime.now(UTC) + timedelta(days=days)
    return {
        "plannedStart": start.isoformat(),
        "plannedEnd": (start + timedelta(hours=hours)).isoformat(),
    }


class Desk:
    """One tenant's API callers (by API key) and a service in its catalogue."""

    def __init__(self, client: Any, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        self.writer = make_token(tenant, WRITER)
        self.reader = make_token(tenant, READER)
        self.configurer = make_token(tenant, CONFIGURER)
        self.services = [str(e.id) for e in make_entries(tenant, 2)]
        self.implementer = make_worker(tenant)

    def change_body(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "type": "normal",
            "title": "Upgrade the case system to 4.3",
            "description": "Database migration and new release of the case system.",
            "reason": "Version 4.2 is out of support in January.",
            "serviceIds": self.services[:1],
            "implementerId": self.implementer,
            "rollbackPlan": plan(),
            **window(),
        }
        return {**body, **overrides}

    def create(self, token: str | None = None, **overrides: Any) -> dict[str, Any]:
        r = self.client.post(
            URL, headers=auth(token or self.writer), json=self.change_body(**overrides)
        )
        assert r.status_code == 201, r.text
        return r.json()

    def get(self, change: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        r = self.client.get(f"{URL}/{change['id']}", headers=auth(token or self.reader))
        assert r.status_code == 200, r.text
        return r.json()

    def act(self, change: dict[str, Any], action: str, body: dict[str, Any], **kw: Any) -> Any:
        """POST an action with the change's current ETag, as the writer unless told otherwise."""
        token = kw.pop("token", self.writer)
        headers = kw.pop("headers", {})
        version = self.get(change)["version"]
        return self.client.post(
            f"{URL}/{change['id']}/{action}",
            headers=auth(token, **{"If-Match": f'"{version}"', **headers}),
            json=body,
        )

    def move(self, change: dict[str, Any], status: str, **extra: Any) -> dict[str, Any]:
        r = self.act(change, "transitions", {"status": status, **extra})
        assert r.status_code == 200, r.text
        return r.json()

    def assess(
        self, change: dict[str, Any], answers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        r = self.act(change, "risk-assessments", {"answers": answers or ANSWERS_LOW})
        assert r.status_code == 200, r.text
        return r.json()

    def history(self, change: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.client.get(f"{URL}/{change['id']}/history", headers=auth(self.reader))
        assert r.status_code == 200, r.text
        return r.json()["items"]


def grant(tenant: Tenant, idp: Any, name: str, role: Role) -> None:
    """Grant one of the test directory's people `role` in `tenant`."""
    tid, client_id = idp.people[name]
    with unit_of_work(tenant.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=tid,
                subject_oid=idp.oid(tid, client_id),
                subject_name=name,
                role=role,
                granted_by="test",
            )
        )


class Cab(Desk):
    """A client's desk with its CAB: the client's product and service owners signed in
    through the client's directory, the supplier's change managers through the supplier's."""

    def __init__(self, client: Any, tenant: Tenant, idp: Any) -> None:
        super().__init__(client, tenant)
        self.idp = idp

    def token(self, name: str) -> str:
        tid, client_id = self.idp.people[name]
        return str(self.idp.token(tid, client_id))

    def oid(self, name: str) -> str:
        tid, client_id = self.idp.people[name]
        return str(self.idp.oid(tid, client_id))

    def vote(self, change: dict[str, Any], name: str, decision: str = "approve") -> Any:
        return self.act(
            change,
            "votes",
            {"decision": decision, "reason": "Checked the plan and the window"},
            token=self.token(name),
            headers={"Regie-Tenant": self.tenant.slug},
        )
