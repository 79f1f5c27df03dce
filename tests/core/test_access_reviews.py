"""Access reviews: a named reviewer confirms or revokes every grant; results export as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from sqlmodel import select

from core.db import unit_of_work
from core.identity.models import AccessReview
from core.types import utcnow
from tests.factories import auth, make_tenant, make_token

SERVICES = "/api/v1/services"
REVIEWS = "/api/v1/access-reviews"


def grant(client, admin, tid, oid, role, kind="user") -> dict:
    body = {
        "subjectKind": kind,
        "subjectTid": str(tid),
        "subjectOid": str(oid),
        "role": role,
        "subjectName": f"{kind} {role}",
    }
    r = client.post("/api/v1/grants", headers=admin, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def start(client, admin, idp) -> dict:
    body = {
        "name": "Q4 review",
        "reviewerTid": str(idp.client_dir),
        "reviewerOid": str(idp.oid(idp.client_dir, idp.reviewer)),
        "reviewerName": "Key user",
        "dueAt": (utcnow() + timedelta(days=14)).isoformat(),
    }
    r = client.post(REVIEWS, headers=admin, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_reviewer_confirms_and_revokes_and_revocation_is_immediate(client, idp, world) -> None:
    admin = auth(idp.token(idp.client_dir, idp.admin))
    subject = idp.oid(idp.client_dir, idp.plain)
    kept = grant(client, admin, idp.client_dir, uuid.uuid4(), "kpi-viewer", kind="group")
    doomed = grant(client, admin, idp.client_dir, subject, "reporter")
    plain = auth(idp.token(idp.client_dir, idp.plain))
    assert client.get(SERVICES, headers=plain).status_code == 200
    review = start(client, admin, idp)
    assert review["overdue"] is False and review["completedAt"] is None

    reviewer = auth(idp.token(idp.client_dir, idp.reviewer))
    detail = client.get(f"{REVIEWS}/{review['id']}", headers=reviewer).json()
    items = {i["grantId"]: i for i in detail["items"]}
    assert set(items) == {kept["id"], doomed["id"]}
    assert items[doomed["id"]]["grantedBy"].startswith("user:")
    assert items[doomed["id"]]["lastSignInAt"] is None

    decide = f"{REVIEWS}/{review['id']}/items/{{}}/decision"
    not_reviewer = client.post(
        decide.format(items[kept["id"]]["id"]), headers=admin, json={"decision": "confirmed"}
    )
    assert not_reviewer.status_code == 403
    r = client.post(
        decide.format(items[kept["id"]]["id"]),
        headers=reviewer,
        json={"decision": "confirmed", "note": "still needed"},
    )
    assert r.status_code == 200 and r.json()["decision"] == "confirmed"
    again = client.post(
        decide.format(items[kept["id"]]["id"]), headers=reviewer, json={"decision": "revoked"}
    )
    assert again.status_code == 409
    r = client.post(
        decide.format(items[doomed["id"]]["id"]),
        headers=reviewer,
        json={"decision": "revoked", "note": "left the team"},
    )
    assert r.status_code == 200
    assert client.get(SERVICES, headers=plain).status_code == 403  # at once

    done = client.get(f"{REVIEWS}/{review['id']}", headers=reviewer).json()
    assert done["completedAt"] is not None
    export = client.get(f"{REVIEWS}/{review['id']}/export", headers=admin)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {(r["role"], r["decision"], r["note"]) for r in rows} == {
        ("kpi-viewer", "confirmed", "still needed"),
        ("reporter", "revoked", "left the team"),
    }


def test_overdue_reviews_are_visible(client, idp, world) -> None:
    admin = auth(idp.token(idp.client_dir, idp.admin))
    review = start(client, admin, idp)
    with unit_of_work(world[0].id) as session:
        row = session.exec(select(AccessReview)).one()
        row.due_at = utcnow() - timedelta(days=1)
    listed = client.get(REVIEWS, headers=admin).json()["items"]
    assert [(r["id"], r["overdue"]) for r in listed] == [(review["id"], True)]


def test_due_date_in_the_past_is_refused(client, idp, world) -> None:
    admin = auth(idp.token(idp.client_dir, idp.admin))
    body = {
        "name": "late",
        "reviewerOid": str(uuid.uuid4()),
        "dueAt": (utcnow() - timedelta(days=1)).isoformat(),
    }
    assert client.post(REVIEWS, headers=admin, json=body).status_code == 400


def test_another_tenant_learns_nothing_of_a_review(client, idp, world) -> None:
    admin = auth(idp.token(idp.client_dir, idp.admin))
    review = start(client, admin, idp)
    other = auth(make_token(make_tenant(), ["identity.reviews:manage", "identity.reviews:decide"]))
    assert client.get(REVIEWS, headers=other).json()["items"] == []
    for url in (f"{REVIEWS}/{review['id']}", f"{REVIEWS}/{review['id']}/export"):
        assert client.get(url, headers=other).status_code == 404
    item_url = f"{REVIEWS}/{review['id']}/items/{uuid.uuid4()}/decision"
    assert client.post(item_url, headers=other, json={"decision": "revoked"}).status_code == 404
