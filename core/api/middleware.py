"""One pure-ASGI middleware for what every HTTP exchange needs.

Request id, API-Version and security headers, the body size limit, the JSON-only rule for
bodies, the access log line, the latency histogram and the server span's route name. Pure
ASGI (not BaseHTTPMiddleware) keeps it cheap on the hot path.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import structlog
from fastapi import HTTPException
from opentelemetry import trace
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.api.problems import send_problem
from core.context import Client, client_var
from core.observability import REQUEST_SECONDS, request_id_var

log = structlog.get_logger("regie.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_JSON_TYPES = ("application/json", "application/merge-patch+json", "application/scim+json")


class HttpConventions:
    def __init__(
        self,
        app: ASGIApp,
        *,
        api_version: str,
        max_body: int,
        ui_csp: str | Callable[[], str],
        uploads: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.api_version = api_version
        self.max_body = max_body
        # A callable is asked per response: the UI's policy names the configured directory.
        self.ui_csp = ui_csp if callable(ui_csp) else lambda: ui_csp
        # Paths (regular expressions) that take multipart/form-data files, with their limit.
        self.uploads = [(re.compile(p), limit) for p, limit in (uploads or {}).items()]
        # Every response's own headers, spelled once: by TLS, then for the API's paths.
        every = [
            (b"api-version", api_version.encode("latin-1")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        hsts = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
        self._every = {False: every, True: [*every, hsts]}
        self._api = [
            (b"cache-control", b"no-store"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        peer = scope.get("client")
        client_token = client_var.set(
            Client(address=peer[0] if peer else None, user_agent=headers.get("user-agent"))
        )
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})
        began = time.perf_counter()
        status = 500
        tls = scope.get("scheme") == "https"

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                self._decorate(message, scope["path"], request_id, tls)
                _name_span(scope)
            await send(message)

        try:
            limit, upload = self._body_limit(scope)
            refusal = self._refuse(scope, headers, limit, upload)
            unstorable = _unstorable_params(scope)
            if unstorable and refusal is None:
                await send_problem(
                    send_with_headers, *_unstorable_refusal(unstorable), invalidParams=unstorable
                )
            elif refusal is not None:
                await send_problem(send_with_headers, *refusal)
            else:
                await self.app(scope, self._limited(receive, limit), send_with_headers)
        except Exception as exc:
            # Answer here rather than in Starlette's outermost handler, so the 500 still
            # carries the correlation id and the headers every response has.
            log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
            if not started:
                await send_problem(
                    send_with_headers,
                    500,
                    "internal-error",
                    "Internal server error",
                    "An unexpected error occurred. Quote the correlation id when you report it.",
                )
        finally:
            self._record(scope, status, time.perf_counter() - began)
            request_id_var.reset(token)
            client_var.reset(client_token)
            structlog.contextvars.clear_contextvars()

    def _decorate(self, start: Message, path: str, request_id: str, tls: bool) -> None:
        """Set the headers every response carries, replacing the app's own of those names, in
        one pass over the app's headers (not one per header set)."""
        given = start.get("headers") or []
        added = [*self._every[tls], (b"x-request-id", request_id.encode("latin-1"))]
        if path.startswith("/api/"):
            added += self._api
        elif not any(name.lower() == b"content-security-policy" for name, _ in given):
            added.append((b"content-security-policy", self.ui_csp().encode("latin-1")))
        names = {name for name, _ in added}
        start["headers"] = [h for h in given if h[0].lower() not in names] + added

    def _body_limit(self, scope: Scope) -> tuple[int, bool]:
        """The body limit of this request's path, and whether the path takes uploads."""
        if scope["method"] in _BODY_METHODS:
            for pattern, limit in self.uploads:
                if pattern.match(scope["path"]):
                    return limit, True
        return self.max_body, False

    def _refuse(
        self, scope: Scope, headers: Headers, limit: int, upload: bool
    ) -> tuple[int, str, str, str] | None:
        """Refuse before the app reads anything: declared oversize bodies, non-JSON bodies."""
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return (
                413,
                "payload-too-large",
                "Request body too large",
                (f"The body is {length} bytes; the limit is {limit}."),
            )
        if scope["method"] in _BODY_METHODS and scope["path"].startswith("/api/"):
            has_body = (length not in (None, "0")) or "transfer-encoding" in headers
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            accepted = (*_JSON_TYPES, "multipart/form-data") if upload else _JSON_TYPES
            if has_body and ctype not in accepted:
                return (
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    (f"Send the body as application/json, not {ctype or 'an unnamed type'}."),
                )
        return None

    def _limited(self, receive: Receive, limit: int) -> Receive:
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI re-raises HTTPException from body parsing; anything else becomes 400.
                    raise HTTPException(413, f"The body exceeds the limit of {limit} bytes.")
            return message

        return receive_limited

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        REQUEST_SECONDS.labels(scope["method"], template, str(status)).observe(seconds)
        state: dict[str, Any] = scope.get("state", {})
        log.info(
            "request",
            method=scope["method"],
            route=template,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            tenant_id=str(state["tenant_id"]) if state.get("tenant_id") else None,
            actor_id=str(state["actor_id"]) if state.get("actor_id") else None,
        )


def _name_span(scope: Scope) -> None:
    """Names the server span after the matched route, known only once routing is done; the
    span ends with the response, so this runs when the response starts."""
    route = scope.get("route")
    span = trace.get_current_span()
    if route is not None and span.is_recording():
        span.update_name(f"{scope['method']} {route.path}")
        span.set_attribute(HTTP_ROUTE, route.path)


def _unstorable_params(scope: Scope) -> list[dict[str, str]]:
    """Query parameters and the path holding a NUL, which no PostgreSQL text can store."""
    found = [
        {"name": name, "pointer": f"query:{name}", "reason": "must not contain a NUL character"}
        for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        if "\x00" in value or "\x00" in name
    ]
    if "\x00" in scope.get("path", ""):
        found.append({"name": "path", "pointer": "path:", "reason": "must not contain NUL"})
    return found


def _unstorable_refusal(params: list[dict[str, str]]) -> tuple[Any, ...]:
    names = ", ".join(p["name"] for p in params)
    return 400, "invalid-input", "Invalid input", f"{len(params)} invalid field(s): {names}"
