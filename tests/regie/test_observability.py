"""What operators see: JSON log lines with ids but no contents, metrics, health and readiness."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from core.settings import get_settings
from tests.factories import auth, make_tenant, make_token
from tests.fixtures import ROOT, regie_env, wait_for_http
from tests.regie.test_up import fetch, free_port
from tickets import permissions as tickets_permissions

SECRET_TEXT = "Confidential-citizen-remark-4711"
CALLER = "4bf92f3577b34da6a3ce929d0e0e4736"


def request(url: str, token: str, body: dict | None = None, **headers: str) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method="POST" if data else "GET",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"} | headers,
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_served_api_logs_json_lines_with_ids_and_no_bodies() -> None:
    tenant = make_tenant()
    token = make_token(tenant)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "regie.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=regie_env(REGIE_LOG_LEVEL="info"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(proc, base + "/health")
        assert (
            request(
                base + "/api/v1/services",
                token,
                {
                    "code": "LOG-1",
                    "name": "Logged",
                    "domain": "A",
                    "subdomain": 1,
                    "description": SECRET_TEXT,
                },
                # A caller's trace, not sampled: its id goes on, though no span is recorded.
                traceparent=f"00-{CALLER}-00f067aa0ba902b7-00",
            )
            == 201
        )
        status, metrics = fetch(base + "/metrics")
        assert status == 200
        labels = 'method="POST",route="/api/v1/services",status="201"'
        assert f"regie_http_request_duration_seconds_count{{{labels}}} 1.0" in metrics
        assert f'regie_http_request_duration_seconds_bucket{{le="5.0",{labels}}} 1.0' in metrics
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert SECRET_TEXT not in out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    post = next(e for e in lines if e.get("event") == "request" and e.get("method") == "POST")
    assert post["route"] == "/api/v1/services" and post["status"] == 201
    assert post["tenant_id"] == str(tenant.id) and post["actor_id"]
    assert len(post["request_id"]) >= 8 and post["trace_id"] == CALLER
    assert post["duration_ms"] > 0


def test_a_sampled_request_is_traced_under_its_route_and_the_callers_trace(client) -> None:
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[attr-defined]
    token = make_token(make_tenant(), [tickets_permissions.READ])
    sampled = {"traceparent": f"00-{CALLER}-00f067aa0ba902b7-01"}
    try:
        found = client.get(f"/api/v1/tickets/{uuid.uuid4()}", headers=auth(token, **sampled))
        lost = client.get("/api/v1/no-such-thing", headers=auth(token, **sampled))
        client.get("/api/v1/services", headers=auth(token))  # not sampled: not recorded
        spans = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    finally:
        exporter.shutdown()
    assert (found.status_code, lost.status_code) == (404, 404)
    assert [(s.name, (s.attributes or {}).get("http.route")) for s in spans] == [
        ("GET /api/v1/tickets/{ticketId}", "/api/v1/tickets/{ticketId}"),
        ("GET", None),
    ]
    assert {format(s.context.trace_id, "032x") for s in spans} == {CALLER}


def test_health_and_ready(client) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").status_code == 200


def test_ready_is_503_problem_when_the_broker_is_unreachable(client) -> None:
    from core.jobs import celery_app

    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        r = client.get("/ready")
    finally:
        celery_app.conf.broker_url = original
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["unavailable"] == ["broker"]
    assert get_settings().broker_url == original
