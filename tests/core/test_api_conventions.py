"""Conventions every route shares: problem details, headers, status codes of the ADR."""

from __future__ import annotations

import json
import subprocess
import sys

from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from core.api import problems
from core.api.middleware import HttpConventions
from services.catalogue.models import CatalogueEntry
from tests.factories import auth, make_entries, make_tenant, make_token
from tests.fixtures import ROOT, regie_env

PROBLEM = "application/problem+json"


def _assert_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["correlationId"] == r.headers["x-request-id"]
    return body


def test_invalid_input_lists_every_field_with_a_pointer(client) -> None:
    token = make_token(make_tenant())
    r = client.post(
        "/api/v1/services",
        headers=auth(token),
        json={"code": "lower", "domain": "Z", "subdomain": 99, "colour": "red"},
    )
    body = _assert_problem(r, 400)
    pointers = {p["pointer"] for p in body["invalidParams"]}
    assert pointers == {"/code", "/name", "/domain", "/subdomain", "/colour"}
    assert client.get("/api/v1/services", headers=auth(token)).json()["items"] == []


def test_invalid_query_and_path_parameters_are_400(client) -> None:
    token = make_token(make_tenant())
    body = _assert_problem(
        client.get("/api/v1/services?limit=0&sort=colour", headers=auth(token)), 400
    )
    assert {p["name"] for p in body["invalidParams"]} == {"limit", "sort"}
    body = _assert_problem(client.get("/api/v1/services/not-a-uuid", headers=auth(token)), 400)
    assert body["invalidParams"][0]["name"] == "serviceId"


def test_unparseable_json_is_400(client) -> None:
    token = make_token(make_tenant())
    r = client.post(
        "/api/v1/services",
        headers=auth(token, **{"Content-Type": "application/json"}),
        content=b'{"code": ',
    )
    _assert_problem(r, 400)


def test_non_json_body_is_415(client) -> None:
    token = make_token(make_tenant())
    r = client.post(
        "/api/v1/services", headers=auth(token, **{"Content-Type": "text/plain"}), content=b"code=X"
    )
    _assert_problem(r, 415)


def test_body_over_the_limit_is_413_declared_or_streamed(client) -> None:
    token = make_token(make_tenant())
    big = json.dumps(
        {
            "code": "BIG-1",
            "name": "x",
            "domain": "A",
            "subdomain": 1,
            "description": "x" * 2_000_000,
        }
    )
    r = client.post(
        "/api/v1/services",
        headers=auth(token, **{"Content-Type": "application/json"}),
        content=big.encode(),
    )
    _assert_problem(r, 413)

    def chunks():  # no Content-Length: the limit is enforced while reading
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536].encode()

    r = client.post(
        "/api/v1/services",
        headers=auth(token, **{"Content-Type": "application/json"}),
        content=chunks(),
    )
    _assert_problem(r, 413)
    assert client.get("/api/v1/services", headers=auth(token)).json()["items"] == []


def test_trailing_slash_is_404_not_a_redirect(client) -> None:
    token = make_token(make_tenant())
    r = client.get("/api/v1/services/", headers=auth(token), follow_redirects=False)
    _assert_problem(r, 404)


def test_unknown_path_is_404_problem(client) -> None:
    _assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_405_allow_lists_methods_of_all_sibling_routes(client) -> None:
    r = client.delete("/api/v1/services")
    _assert_problem(r, 405)
    assert r.headers["allow"] == "GET, HEAD, POST"
    r = client.put("/api/v1/services/01a21448-90f5-7037-9d10-c6e79125225e")
    assert r.headers["allow"] == "GET, HEAD, PATCH"
    # A literal path beside a template is its own resource: not the template's PATCH.
    r = client.delete("/api/v1/improvements/order")
    assert r.headers["allow"] == "GET, HEAD, PUT"


def test_every_response_carries_version_and_security_headers(client) -> None:
    for r in (client.get("/api/v1/services"), client.get("/api/v1/openapi.json"), client.get("/")):
        assert r.headers["api-version"] == client.app.version
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert client.get("/api/v1/openapi.json").headers["cache-control"] == "no-store"


def test_the_conventions_headers_replace_the_routes_own_once() -> None:
    app = FastAPI()

    @app.get("/api/v1/feed")
    def feed() -> Response:
        own = {"Cache-Control": "private, max-age=60", "X-Frame-Options": "SAMEORIGIN"}
        return Response("ok", headers=own)

    @app.get("/page")
    def page() -> Response:
        return Response("ok", headers={"Content-Security-Policy": "default-src 'self'"})

    app.add_middleware(HttpConventions, api_version="1.0.0", max_body=1024, ui_csp="x")
    client = TestClient(app)
    raw = client.get("/api/v1/feed").headers.raw
    for name, value in ((b"cache-control", b"no-store"), (b"x-frame-options", b"DENY")):
        assert [v for k, v in raw if k == name] == [value]  # replaced, not doubled
    assert [v for k, v in raw if k == b"content-length"] == [b"2"]  # the route's own kept
    page_csp = client.get("/page").headers.get_list("content-security-policy")
    assert page_csp == ["default-src 'self'"]  # a page's own policy stands
    assert client.get("/elsewhere").headers.get_list("content-security-policy") == ["x"]


def test_hsts_only_over_tls(app) -> None:
    assert "strict-transport-security" not in TestClient(app).get("/health").headers
    tls = TestClient(app, base_url="https://regie.test").get("/health")
    assert tls.headers["strict-transport-security"].startswith("max-age=")


def test_unexpected_error_is_500_problem_without_internals() -> None:
    app = FastAPI()

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail in /srv/regie/core.py")

    problems.install(app)
    app.add_middleware(
        HttpConventions, api_version="1.0.0", max_body=1024, ui_csp="default-src 'none'"
    )
    r = TestClient(app, raise_server_exceptions=False).get("/api/v1/boom")
    body = _assert_problem(r, 500)
    assert "secret" not in r.text and "Traceback" not in r.text and ".py" not in r.text
    assert body["correlationId"]


def test_request_id_is_taken_from_the_caller_when_sane(client) -> None:
    r = client.get("/health", headers={"X-Request-ID": "caller-id-123456"})
    assert r.headers["x-request-id"] == "caller-id-123456"
    r = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert r.headers["x-request-id"] != "bad id\twith spaces"


def test_security_txt_follows_rfc_9116(client) -> None:
    r = client.get("/.well-known/security.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    fields = dict(line.split(": ", 1) for line in r.text.strip().splitlines())
    assert {"Contact", "Expires", "Policy", "Preferred-Languages", "Canonical"} <= set(fields)


def test_cross_tenant_get_and_update_reveal_nothing(client) -> None:
    a, b = make_tenant(), make_tenant()
    theirs = make_entries(b, 1)[0]
    token = make_token(a)
    missing = client.get(
        "/api/v1/services/01a21448-90f5-7037-9d10-c6e79125225e", headers=auth(token)
    )
    r = client.get(f"/api/v1/services/{theirs.id}", headers=auth(token))
    body = _assert_problem(r, 404)
    assert body["detail"].replace(str(theirs.id), "ID") == missing.json()["detail"].replace(
        "01a21448-90f5-7037-9d10-c6e79125225e", "ID"
    )
    r = client.patch(
        f"/api/v1/services/{theirs.id}",
        headers=auth(token, **{"If-Match": '"1"'}),
        json={"name": "hijacked"},
    )
    _assert_problem(r, 404)
    assert "hijacked" not in client.get("/api/v1/services", headers=auth(make_token(b))).text


def test_a_failed_commit_is_never_acknowledged(client) -> None:
    """The unit of work commits before the answer is sent: no 2xx for data that is not stored."""
    token = make_token(make_tenant())

    def note_entry(session, _ctx) -> None:
        if any(isinstance(obj, CatalogueEntry) for obj in session.new):
            session.info["wrote_entry"] = True

    def disk_full(session) -> None:
        if session.info.get("wrote_entry"):
            raise OSError("disk full")

    event.listen(Session, "after_flush", note_entry)
    event.listen(Session, "before_commit", disk_full)
    try:
        r = client.post(
            "/api/v1/services",
            headers=auth(token),
            json={"code": "LOST-1", "name": "x", "domain": "A", "subdomain": 1},
        )
    finally:
        event.remove(Session, "before_commit", disk_full)
        event.remove(Session, "after_flush", note_entry)
    _assert_problem(r, 500)
    assert client.get("/api/v1/services", headers=auth(token)).json()["items"] == []


def test_the_published_document_is_the_same_in_every_process(tmp_path) -> None:
    """Linted, fuzzed with a fixed seed and handed to clients: one build, one document,
    whatever order Python's string hashing gives a process."""
    documents = []
    for seed in ("1", "2"):
        out = tmp_path / f"openapi-{seed}.json"
        subprocess.run(
            [sys.executable, "-m", "regie.cli", "openapi", "--output", str(out)],
            cwd=ROOT,
            env=regie_env(PYTHONHASHSEED=seed, REGIE_LOG_LEVEL="error"),
            check=True,
            timeout=120,
        )
        documents.append(out.read_bytes())
    assert documents[0] == documents[1]
