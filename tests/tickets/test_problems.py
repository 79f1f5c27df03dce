"""Problems and known errors: linked incidents, workarounds, resolving, change requests, the
known-error list, and what another tenant learns (nothing)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.db import unit_of_work
from core.tenancy import Tenant
from tests.factories import auth, make_entries, make_tenant, make_token
from tests.tickets.helpers import AGENT, REPORTER, Desk
from tickets import permissions as tp
from tickets.problems import permissions as pp
from tickets.problems.public import published_workaround

MANAGER = [pp.MANAGE, pp.READ, pp.LINK, pp.KNOWN_ERRORS, tp.REPORT, tp.READ, tp.WORK]
LINKER = [*AGENT, pp.READ, pp.LINK, pp.KNOWN_ERRORS]
KEY_USER = [*REPORTER, pp.KNOWN_ERRORS]


class Problems(Desk):
    """A tenant's desk with a problem manager, a linking agent and a key user."""

    def __init__(self, client: Any, tenant: Tenant) -> None:
        super().__init__(client, tenant)
        self.manager = make_token(tenant, MANAGER)
        self.linker = make_token(tenant, LINKER)
        self.key_user = make_token(tenant, KEY_USER)

    def problem(self, **body: Any) -> dict[str, Any]:
        body = {"title": "Case overview times out", "description": "Slow query.", **body}
        r = self.client.post("/api/v1/problems", headers=auth(self.manager), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def fetch(self, problem: dict[str, Any]) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/problems/{problem['id']}", headers=auth(self.manager))
        assert r.status_code == 200, r.text
        return r.json()

    def do(self, problem: dict[str, Any], action: str, body: dict[str, Any]) -> Any:
        """POST an action with the problem's current ETag, as the problem manager."""
        version = self.fetch(problem)["version"]
        return self.client.post(
            f"/api/v1/problems/{problem['id']}/{action}",
            headers=auth(self.manager, **{"If-Match": f'"{version}"'}),
            json=body,
        )

    def patch(self, problem: dict[str, Any], body: dict[str, Any]) -> Any:
        version = self.fetch(problem)["version"]
        return self.client.patch(
            f"/api/v1/problems/{problem['id']}",
            headers=auth(self.manager, **{"If-Match": f'"{version}"'}),
            json=body,
        )

    def link(
        self, problem: dict[str, Any], ticket: dict[str, Any], token: str | None = None
    ) -> Any:
        return self.client.post(
            f"/api/v1/problems/{problem['id']}/incidents",
            headers=auth(token or self.linker),
            json={"ticketId": ticket["id"]},
        )

    def linked(self, problem: dict[str, Any]) -> list[str]:
        r = self.client.get(
            f"/api/v1/problems/{problem['id']}/incidents", headers=auth(self.linker)
        )
        assert r.status_code == 200, r.text
        return sorted(t["id"] for t in r.json()["items"])

    def resolve_ticket(self, ticket: dict[str, Any]) -> None:
        r = self.act(ticket, "transitions", {"status": "resolved", "resolution": "Restarted."})
        assert r.status_code == 200, r.text

    def kinds(self, ticket: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        return [e for e in self.history(ticket) if e["kind"] == kind]


@pytest.fixture
def team(client) -> Problems:
    return Problems(client, make_tenant())


@pytest.fixture
def rival(client) -> Problems:
    return Problems(client, make_tenant())


def test_problems_are_numbered_per_tenant_and_owned_by_their_recorder(team, rival) -> None:
    first, second = team.problem(), team.problem(priority="high")
    assert (first["number"], second["number"]) == ("PRB-000001", "PRB-000002")
    assert rival.problem()["number"] == "PRB-000001"
    assert first["status"] == "new" and first["knownError"] is False
    assert second["priority"] == "high" and first["ownerName"]
    r = team.client.get(f"/api/v1/problems/{first['id']}/history", headers=auth(team.linker))
    assert [e["kind"] for e in r.json()["items"]] == ["created"]


def test_many_incidents_link_to_one_problem_and_each_keeps_it_as_history(team) -> None:
    problem = team.problem()
    incidents = [team.report() for _ in range(3)]
    for ticket in incidents:
        r = team.link(problem, ticket)
        assert r.status_code == 201, r.text
        assert r.json()["problemId"] == problem["id"]
        assert r.headers["location"] == f"/api/v1/tickets/{ticket['id']}"
    assert team.linked(problem) == sorted(t["id"] for t in incidents)
    linked = team.kinds(incidents[0], "linked")
    assert [(e["toValue"], e["data"]["problem"]) for e in linked] == [(problem["number"],) * 2]
    listed = team.client.get(
        f"/api/v1/tickets?problemId={problem['id']}", headers=auth(team.agent)
    ).json()["items"]
    assert len(listed) == 3
    assert team.link(problem, incidents[0]).status_code == 200  # linking again changes nothing
    assert len(team.kinds(incidents[0], "linked")) == 1
    assert team.link(team.problem(), incidents[0]).status_code == 409


def test_only_incidents_can_be_linked(team) -> None:
    problem = team.problem()
    question = team.client.post(
        "/api/v1/tickets",
        headers=auth(team.reporter),
        json={"type": "question", "title": "How do I export?", "description": "Where is it?"},
    ).json()
    r = team.link(problem, question)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert team.get(question)["problemId"] is None and team.linked(problem) == []


def test_an_agent_without_link_permission_cannot_link(team) -> None:
    problem, ticket = team.problem(), team.report()
    assert team.link(problem, ticket, token=team.agent).status_code == 403
    assert team.get(ticket)["problemId"] is None


def test_unlinking_takes_the_incident_off_and_records_it(team) -> None:
    problem, ticket = team.problem(), team.report()
    team.link(problem, ticket)
    url = f"/api/v1/problems/{problem['id']}/incidents/{ticket['id']}"
    assert team.client.delete(url, headers=auth(team.linker)).status_code == 204
    assert team.linked(problem) == [] and team.get(ticket)["problemId"] is None
    assert team.kinds(ticket, "linked")[-1]["fromValue"] == problem["number"]
    assert team.client.delete(url, headers=auth(team.linker)).status_code == 404
    r = team.client.get(f"/api/v1/problems/{problem['id']}/history", headers=auth(team.linker))
    assert [e["kind"] for e in r.json()["items"]][-2:] == ["linked", "unlinked"]


def test_publishing_the_workaround_is_recorded_on_each_open_linked_incident_only(
    team, rival
) -> None:
    problem = team.problem()
    open_one, open_two, done = team.report(), team.report(), team.report()
    for ticket in (open_one, open_two, done):
        team.link(problem, ticket)
    team.resolve_ticket(done)
    assert team.do(problem, "workaround-publications", {}).status_code == 409  # none recorded
    text = "Open the overview through the search page instead."
    r = team.do(problem, "workaround-publications", {"workaround": text})
    assert r.status_code == 200, r.text
    assert sorted(i["id"] for i in r.json()["incidents"]) == sorted(
        [open_one["id"], open_two["id"]]
    )
    assert r.json()["problem"]["workaround"] == text
    assert r.json()["problem"]["workaroundPublishedAt"] is not None
    for ticket in (open_one, open_two):
        [event] = team.kinds(ticket, "workaround")
        assert event["data"]["problem"] == problem["number"]
        assert text not in str(event)  # the text stays on the problem
    assert team.kinds(done, "workaround") == []
    with unit_of_work(team.tenant.id) as session:
        assert published_workaround(session, uuid.UUID(problem["id"])) == text
    with unit_of_work(rival.tenant.id) as session:
        assert published_workaround(session, uuid.UUID(problem["id"])) is None


def test_root_cause_and_workaround_make_a_known_error(team) -> None:
    problem = team.problem()
    r = team.patch(problem, {"rootCause": "A missing index on case_events."})
    assert r.status_code == 200 and r.json()["knownError"] is False
    r = team.patch(problem, {"workaround": "Use the search page."})
    assert (r.json()["knownError"], r.json()["status"]) == (True, "known-error")
    r = team.patch(problem, {"knownError": False})
    assert (r.json()["knownError"], r.json()["status"]) == (False, "investigating")
    history = team.client.get(
        f"/api/v1/problems/{problem['id']}/history", headers=auth(team.manager)
    ).json()["items"]
    statuses = [(e["fromValue"], e["toValue"]) for e in history if e["kind"] == "status"]
    assert statuses == [("new", "known-error"), ("known-error", "investigating")]


def test_resolving_without_resolve_incidents_only_lists_the_open_ones(team) -> None:
    problem = team.problem()
    open_one, done = team.report(), team.report()
    team.link(problem, open_one)
    team.link(problem, done)
    team.resolve_ticket(done)
    r = team.do(problem, "resolutions", {"resolution": "Index added in release 4.2."})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["problem"]["status"] == "resolved" and body["problem"]["resolvedAt"]
    assert [i["id"] for i in body["openIncidents"]] == [open_one["id"]]
    assert body["resolvedIncidents"] == []
    assert team.get(open_one)["status"] == "new"
    # Accepting the offer afterwards resolves the ones still open.
    r = team.do(problem, "resolutions", {"resolution": "Fixed.", "resolveIncidents": True})
    assert [i["id"] for i in r.json()["resolvedIncidents"]] == [open_one["id"]]
    assert team.get(open_one)["status"] == "resolved"


def test_resolving_with_resolve_incidents_resolves_every_open_one(team) -> None:
    problem = team.problem()
    incidents = [team.report() for _ in range(2)]
    for ticket in incidents:
        team.link(problem, ticket)
    body = {"resolution": "Index added in release 4.2.", "resolveIncidents": True}
    r = team.do(problem, "resolutions", body)
    assert r.status_code == 200, r.text
    assert sorted(i["id"] for i in r.json()["resolvedIncidents"]) == sorted(
        t["id"] for t in incidents
    )
    assert r.json()["openIncidents"] == []
    for ticket in incidents:
        current = team.get(ticket)
        assert (current["status"], current["resolution"]) == ("resolved", body["resolution"])
    assert team.do(problem, "resolutions", {"resolution": "Again"}).status_code == 409


def test_transitions_follow_the_life_cycle(team) -> None:
    problem = team.problem()
    assert team.do(problem, "transitions", {"status": "investigating"}).status_code == 200
    assert team.do(problem, "transitions", {"status": "resolved"}).status_code == 409
    assert team.do(problem, "transitions", {"status": "closed"}).status_code == 400  # reason
    r = team.do(problem, "transitions", {"status": "known-error"})
    assert (r.json()["status"], r.json()["knownError"]) == ("known-error", True)
    r = team.do(problem, "transitions", {"status": "closed", "reason": "Duplicate of PRB-1"})
    assert r.status_code == 200 and r.json()["closedAt"]
    assert team.link(problem, team.report()).status_code == 409


def test_a_change_request_is_raised_and_linked_to_the_problem(team) -> None:
    service = make_entries(team.tenant, 1)[0]
    problem = team.problem(rootCause="A missing index.", serviceId=str(service.id))
    url = f"/api/v1/problems/{problem['id']}/change-requests"
    headers = auth(team.manager, **{"Idempotency-Key": "cr-1"})
    r = team.client.post(url, headers=headers, json={"urgency": "high"})
    assert r.status_code == 201, r.text
    change = r.json()
    assert r.headers["location"] == f"/api/v1/tickets/{change['id']}"
    assert (change["type"], change["problemId"]) == ("change-request", problem["id"])
    assert change["serviceId"] == problem["serviceId"]
    assert problem["number"] in change["title"] and "A missing index." in change["description"]
    again = team.client.post(url, headers=headers, json={"urgency": "high"})
    assert again.json()["id"] == change["id"]
    assert team.kinds(change, "linked")[0]["toValue"] == problem["number"]
    listed = team.client.get(
        f"/api/v1/tickets?problemId={problem['id']}&type=change-request", headers=auth(team.agent)
    ).json()["items"]
    assert [t["id"] for t in listed] == [change["id"]]
    assert team.linked(problem) == []  # the change is not one of the incidents


def test_known_errors_are_found_by_root_cause_and_stay_within_the_tenant(team, rival) -> None:
    cause = "Certificate of the StUF gateway EXPIRED"
    found = team.problem(rootCause=cause, workaround="Retry after 5 minutes.")
    team.problem(title="Unrelated", rootCause="stuf gateway expired too")  # not a known error
    rival.problem(rootCause=cause, workaround="Theirs.")
    r = team.client.get(
        "/api/v1/known-errors", params={"q": "stuf GATEWAY"}, headers=auth(team.key_user)
    )
    assert r.status_code == 200, r.text
    assert [k["id"] for k in r.json()["items"]] == [found["id"]]
    assert r.json()["items"][0]["workaround"] == "Retry after 5 minutes."
    for q in ("no such text", "%", "_"):
        r = team.client.get("/api/v1/known-errors", params={"q": q}, headers=auth(team.key_user))
        assert r.json()["items"] == [], q
    assert team.client.get("/api/v1/problems", headers=auth(team.key_user)).status_code == 403


def test_the_known_error_list_pages_with_a_cursor(team) -> None:
    made = [team.problem(knownError=True, title=f"Known {i}") for i in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = team.client.get("/api/v1/known-errors", params=params, headers=auth(team.linker))
        seen += [k["id"] for k in page.json()["items"]]
        cursor = page.json()["nextCursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(p["id"] for p in made)


def test_updates_need_the_current_etag(team) -> None:
    problem = team.problem()
    url = f"/api/v1/problems/{problem['id']}"
    body = {"title": "Overview times out under load"}
    assert team.client.patch(url, headers=auth(team.manager), json=body).status_code == 428
    ok = team.client.patch(url, headers=auth(team.manager, **{"If-Match": '"1"'}), json=body)
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = team.client.patch(
        url, headers=auth(team.manager, **{"If-Match": '"1"'}), json={"priority": "low"}
    )
    assert stale.status_code == 412 and team.fetch(problem)["priority"] == "medium"
    r = team.client.post(
        url + "/transitions", headers=auth(team.manager), json={"status": "investigating"}
    )
    assert r.status_code == 428


def test_a_retried_create_with_the_same_key_records_one_problem(team) -> None:
    headers = auth(team.manager, **{"Idempotency-Key": "problem-7"})
    body = {"title": "Login loops", "description": "Redirect loop after sign-in."}
    first = team.client.post("/api/v1/problems", headers=headers, json=body)
    again = team.client.post("/api/v1/problems", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    listed = team.client.get("/api/v1/problems", headers=auth(team.manager)).json()["items"]
    assert len(listed) == 1


def test_another_tenant_learns_nothing(team, rival) -> None:
    problem = team.problem(rootCause="Secret cause", workaround="Secret workaround")
    ticket = team.report()
    team.link(problem, ticket)
    url = f"/api/v1/problems/{problem['id']}"
    for method, path, body in [
        ("GET", url, None),
        ("PATCH", url, {"title": "x"}),
        ("GET", url + "/history", None),
        ("POST", url + "/transitions", {"status": "investigating"}),
        ("POST", url + "/resolutions", {"resolution": "x", "resolveIncidents": True}),
        ("POST", url + "/workaround-publications", {}),
        ("GET", url + "/incidents", None),
        ("POST", url + "/incidents", {"ticketId": rival.report()["id"]}),
        ("DELETE", url + f"/incidents/{ticket['id']}", None),
        ("POST", url + "/change-requests", {}),
    ]:
        r = team.client.request(
            method, path, json=body, headers=auth(rival.manager, **{"If-Match": '"1"'})
        )
        assert r.status_code == 404, (method, path, r.status_code)
        assert problem["title"] not in r.text and "Secret" not in r.text
    for path in ("/api/v1/problems", "/api/v1/known-errors"):
        assert team.client.get(path, headers=auth(rival.manager)).json()["items"] == []
    assert team.fetch(problem)["version"] == problem["version"]
    assert team.get(ticket)["problemId"] == problem["id"]


def test_another_tenants_incident_cannot_be_linked(team, rival) -> None:
    problem, theirs = team.problem(), rival.report()
    r = team.link(problem, theirs)
    assert r.status_code == 404 and theirs["title"] not in r.text
    assert rival.get(theirs)["problemId"] is None
