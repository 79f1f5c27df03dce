"""Operational endpoints: liveness, readiness, metrics, security.txt."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from core.api.problems import problem_response
from core.db import get_engine
from core.errors import PROBLEM_BASE
from core.jobs import celery_app
from core.settings import get_settings
from core.types import utcnow

router = APIRouter(include_in_schema=False)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
def ready() -> Response:
    failed = []
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        failed.append("database")
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        failed.append("broker")
    if failed:
        return problem_response(
            503,
            "Not ready",
            f"Unreachable: {', '.join(failed)}",
            PROBLEM_BASE + "not-ready",
            unavailable=failed,
        )
    return Response('{"status":"ready"}', media_type="application/json")


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/.well-known/security.txt")
def security_txt() -> PlainTextResponse:
    s = get_settings()
    expires = (utcnow() + timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"Contact: {s.security_contact}",
        f"Expires: {expires}",
        f"Policy: {s.security_policy_url}",
        f"Preferred-Languages: {s.security_languages}",
        f"Canonical: {s.public_url}/.well-known/security.txt",
    ]
    return PlainTextResponse("\n".join(lines) + "\n")
