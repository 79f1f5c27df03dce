"""Releases and the DTAP lane: a release bundles approved changes and moves through
development, test, acceptance and production; production only after acceptance succeeded
and the client's product owner signed the version off; rollbacks per environment name the
version returned to. Refusals, If-Match, Idempotency-Key and other tenants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from changes import permissions as p
from tests.audit.helpers import records
from tests.changes.helpers import READER, Cab, Desk
from tests.factories import auth, make_token

URL = "/api/v1/releases"
RELEASER = [p.READ, p.RELEASE]
LOG = "https://ci.example.nl/pipelines/812"


def approved(cab: Cab) -> dict[str, Any]:
    """A normal change, assessed and approved by the product owner and the change manager."""
    change = cab.move(cab.create(), "submitted")
    cab.assess(change)
    assert cab.vote(change, "po").status_code == 200
    r = cab.vote(change, "cm")
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    return r.json()


class Lane:
    """One tenant's release calls, as its change manager's API key."""

    def __init__(self, desk: Desk) -> None:
        self.desk, self.client = desk, desk.client
        self.token = make_token(desk.tenant, RELEASER)

    def create(self, change_ids: list[str], version: str = "4.3.0", **extra: Any) -> Any:
        body = {"title": "Case system 4.3", "releaseVersion": version, "changeIds": change_ids}
        return self.client.post(URL, headers=auth(self.token, **extra), json={**body})

    def etag(self, release: dict[str, Any]) -> str:
        r = self.client.get(f"{URL}/{release['id']}", headers=auth(self.token))
        assert r.status_code == 200, r.text
        return str(r.headers["ETag"])

    def post(self, release: dict[str, Any], what: str, body: dict[str, Any], **kw: Any) -> Any:
        token = kw.pop("token", self.token)
        headers = {"If-Match": self.etag(release), **kw}
        return self.client.post(
            f"{URL}/{release['id']}/{what}", headers=auth(token, **headers), json=body
        )

    def deploy(self, release: dict[str, Any], environment: str, **body: Any) -> Any:
        body = {"environment": environment, "result": "succeeded", "logUrl": LOG, **body}
        return self.post(release, "deployments", body)

    def up_to(self, release: dict[str, Any], last: str) -> None:
        for environment in ("development", "test", "acceptance", "production"):
            r = self.deploy(release, environment)
            assert r.status_code == 201, r.text
            if environment == last:
                return

    def get(self, release: dict[str, Any]) -> dict[str, Any]:
        r = self.client.get(f"{URL}/{release['id']}", headers=auth(self.token))
        assert r.status_code == 200, r.text
        return dict(r.json())


def sign(lane: Lane, cab: Cab, release: dict[str, Any], name: str = "po", **body: Any) -> Any:
    return lane.post(
        release, "sign-offs", body, token=cab.token(name), **{"Regie-Tenant": cab.tenant.slug}
    )


def running(release: dict[str, Any]) -> dict[str, str | None]:
    return {e["environment"]: e["releaseVersion"] for e in release["environments"]}


def test_a_release_moves_through_dtap_to_production_with_the_clients_sign_off(cab) -> None:
    lane, change = Lane(cab), approved(cab)
    r = lane.create([change["id"]])
    assert r.status_code == 201, r.text
    release = r.json()
    assert release["number"].endswith("-R000001") and release["changeIds"] == [change["id"]]
    assert r.headers["Location"] == f"{URL}/{release['id']}"
    lane.up_to(release, "acceptance")

    refused = lane.deploy(release, "production")
    assert refused.status_code == 409, refused.text
    assert refused.json()["reasons"] == ["not-signed-off"]
    # The supplier's change manager is no client: only the product owner signs off.
    assert sign(lane, cab, release, "cm").status_code == 403
    signed = sign(lane, cab, release, note="Accepted after the user test")
    assert signed.status_code == 201, signed.text
    assert signed.json()["releaseVersion"] == "4.3.0"
    assert signed.json()["role"] == "product-owner"
    assert sign(lane, cab, release, "po2").status_code == 409  # once per version

    done = lane.deploy(release, "production")
    assert done.status_code == 201, done.text
    assert done.json()["logUrl"] == LOG and done.json()["kind"] == "deployment"
    now = lane.get(release)
    assert running(now) == {
        "development": "4.3.0",
        "test": "4.3.0",
        "acceptance": "4.3.0",
        "production": "4.3.0",
    }
    assert now["signedOff"] is True
    history = cab.history(change)
    deployed = [e for e in history if e["kind"] == "deployed"]
    assert [(e["toValue"], e["data"]["releaseVersion"]) for e in deployed] == [
        ("production", "4.3.0")
    ]
    assert [
        d["environment"]
        for d in lane.client.get(
            f"{URL}/{release['id']}/deployments", headers=auth(cab.reader)
        ).json()["items"]
    ] == ["development", "test", "acceptance", "production"]
    audited = records(cab.tenant.id, "changes_release_sign_off")
    assert [e["action"] for e in audited] == ["create"]
    assert [e["action"] for e in records(cab.tenant.id, "changes_deployment")] == ["create"] * 4


def test_production_never_before_acceptance_succeeded(cab) -> None:
    lane = Lane(cab)
    release = lane.create([approved(cab)["id"]]).json()
    skipped = lane.deploy(release, "test")  # development first
    assert skipped.status_code == 409 and skipped.json()["reasons"] == ["development-not-succeeded"]
    lane.up_to(release, "test")
    failed = lane.deploy(release, "acceptance", result="failed")
    assert failed.status_code == 201 and failed.json()["result"] == "failed"
    # Nothing to sign off, and production stays closed, after a failed acceptance.
    refused = sign(lane, cab, release)
    assert refused.status_code == 409 and refused.json()["reasons"] == ["acceptance-not-succeeded"]
    r = lane.deploy(release, "production")
    assert r.status_code == 409 and r.json()["reasons"] == ["acceptance-not-succeeded"]
    assert lane.deploy(release, "acceptance").status_code == 201
    assert sign(lane, cab, release).status_code == 201
    # A version deployed before acceptance succeeded is refused by its time too.
    early = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    r = lane.deploy(release, "production", at=early)
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "at"
    # A sign-off is for one version: 4.3.1 goes through the lane again.
    patched = lane.client.patch(
        f"{URL}/{release['id']}",
        headers=auth(lane.token, **{"If-Match": lane.etag(release)}),
        json={"releaseVersion": "4.3.1"},
    )
    assert patched.status_code == 200 and patched.json()["signedOff"] is False
    r = lane.deploy(release, "production")
    assert r.status_code == 409 and r.json()["reasons"] == ["acceptance-not-succeeded"]


def test_bundled_changes_must_be_approved_before_production(cab) -> None:
    lane, draft = Lane(cab), cab.create()
    release = lane.create([draft["id"]]).json()
    lane.up_to(release, "acceptance")  # development to acceptance need no approval
    assert sign(lane, cab, release).status_code == 201
    r = lane.deploy(release, "production")
    assert r.status_code == 409, r.text
    assert r.json()["reasons"] == ["changes-not-approved"]
    assert r.json()["changes"] == [
        {"id": draft["id"], "number": draft["number"], "status": "draft"}
    ]
    assert running(lane.get(release))["production"] is None


def test_a_rollback_per_environment_records_the_version_returned_to(cab) -> None:
    lane = Lane(cab)
    release = lane.create([approved(cab)["id"]]).json()
    nothing = lane.post(
        release,
        "rollbacks",
        {"environment": "test", "returnedToVersion": "4.2.0", "notes": "Login fails"},
    )
    assert nothing.status_code == 409 and nothing.json()["reasons"] == ["nothing-deployed"]
    lane.up_to(release, "test")
    same = lane.post(
        release,
        "rollbacks",
        {"environment": "test", "returnedToVersion": "4.3.0", "notes": "Login fails"},
    )
    assert same.status_code == 400
    assert same.json()["invalidParams"][0]["name"] == "returnedToVersion"
    r = lane.post(
        release,
        "rollbacks",
        {
            "environment": "test",
            "returnedToVersion": "4.2.0",
            "notes": "Login fails",
            "logUrl": LOG,
        },
    )
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["releaseVersion"], r.json()["replacedVersion"]) == (
        "rollback",
        "4.2.0",
        "4.3.0",
    )
    assert running(lane.get(release)) == {
        "development": "4.3.0",
        "test": "4.2.0",
        "acceptance": None,
        "production": None,
    }


def test_bad_input_names_every_invalid_field(cab, other) -> None:
    lane = Lane(cab)
    theirs = other.create()
    cancelled = cab.move(cab.create(), "cancelled", reason="Not needed")
    r = lane.create([str(uuid.uuid4()), theirs["id"], cancelled["id"]])
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert [(e["name"], e["reason"]) for e in r.json()["invalidParams"]] == [
        ("changeIds.0", "unknown change"),
        ("changeIds.1", "unknown change"),
        ("changeIds.2", "the change is cancelled"),
    ]
    r = lane.client.post(
        URL, headers=auth(lane.token), json={"title": "", "releaseVersion": "no spaces please"}
    )
    assert r.status_code == 400
    assert {e["name"] for e in r.json()["invalidParams"]} >= {"title", "releaseVersion"}
    release = lane.create([]).json()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = lane.deploy(release, "staging", at=future, logUrl="ftp://x")
    assert r.status_code == 400
    assert {e["name"] for e in r.json()["invalidParams"]} >= {"environment", "logUrl"}
    r = lane.deploy(release, "development", at=future)
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "at"


def test_edits_need_if_match_and_creates_honour_idempotency_keys(cab) -> None:
    lane = Lane(cab)
    first = lane.create([], **{"Idempotency-Key": "rel-1"})
    again = lane.create([], **{"Idempotency-Key": "rel-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    release = first.json()
    url = f"{URL}/{release['id']}"
    r = lane.client.patch(url, headers=auth(lane.token), json={"title": "Case system 4.4"})
    assert r.status_code == 428
    r = lane.client.patch(
        url, headers=auth(lane.token, **{"If-Match": '"99"'}), json={"title": "Case system 4.4"}
    )
    assert r.status_code == 412
    etag = lane.etag(release)
    r = lane.client.patch(
        url, headers=auth(lane.token, **{"If-Match": etag}), json={"title": "Case system 4.4"}
    )
    assert r.status_code == 200 and r.json()["title"] == "Case system 4.4"
    assert r.headers["ETag"] != etag
    stale = lane.client.post(
        f"{url}/deployments",
        headers=auth(lane.token, **{"If-Match": etag}),
        json={"environment": "development", "result": "succeeded"},
    )
    assert stale.status_code == 412
    second = lane.create([]).json()
    assert second["number"].endswith("-R000002")
    assert [e["action"] for e in records(cab.tenant.id, "changes_release")][:1] == ["create"]


def test_another_tenant_learns_nothing_of_a_release(cab, other) -> None:
    lane, theirs = Lane(cab), Lane(other)
    release = lane.create([]).json()
    lane.up_to(release, "development")
    url = f"{URL}/{release['id']}"
    for path in ("", "/deployments", "/sign-offs"):
        r = other.client.get(url + path, headers=auth(theirs.token))
        assert r.status_code == 404, path
        assert release["number"] not in r.text
    r = other.client.patch(
        url, headers=auth(theirs.token, **{"If-Match": '"1"'}), json={"title": "Mine now"}
    )
    assert r.status_code == 404
    for what, body in (
        ("deployments", {"environment": "test", "result": "succeeded"}),
        ("rollbacks", {"environment": "development", "returnedToVersion": "1", "notes": "x"}),
    ):
        r = other.client.post(
            f"{url}/{what}", headers=auth(theirs.token, **{"If-Match": '"1"'}), json=body
        )
        assert r.status_code == 404, what
    assert other.client.get(URL, headers=auth(theirs.token)).json()["items"] == []
    # A reader may look, never deploy.
    reader = make_token(cab.tenant, READER)
    assert lane.client.get(URL, headers=auth(reader)).json()["items"][0]["id"] == release["id"]
    r = lane.client.post(
        f"{url}/deployments",
        headers=auth(reader, **{"If-Match": lane.etag(release)}),
        json={"environment": "test", "result": "succeeded"},
    )
    assert r.status_code == 403


def test_the_list_pages_newest_first(cab) -> None:
    lane = Lane(cab)
    made = [lane.create([], version=f"1.{i}").json()["id"] for i in range(3)]
    r = lane.client.get(URL, headers=auth(lane.token), params={"limit": 2})
    page = r.json()
    assert [i["id"] for i in page["items"]] == made[::-1][:2]
    rest = lane.client.get(
        URL, headers=auth(lane.token), params={"limit": 2, "cursor": page["nextCursor"]}
    ).json()
    assert [i["id"] for i in rest["items"]] == made[:1] and rest["nextCursor"] is None
