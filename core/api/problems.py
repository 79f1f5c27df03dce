"""RFC 9457 problem details: one renderer for every error the API gives."""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.api.openapi import API_PREFIX
from core.errors import (
    PROBLEM_BASE,
    AppError,
    InvalidInput,
    PreconditionFailed,
    StatementTimeout,
)
from core.observability import request_id_var

PROBLEM_JSON = "application/problem+json"
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout
RETRY_AFTER_SECONDS = 5
log = structlog.get_logger("regie.errors")

_HTTP_TITLES = {
    400: ("invalid-input", "Invalid input"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not permitted"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


async def send_problem(
    send: Any,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    **extra: Any,
) -> None:
    """Answer a problem from plain ASGI, before or outside the app's own handlers."""
    body = json.dumps(problem_body(status, title, detail, PROBLEM_BASE + slug, **extra)).encode()
    start_headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})


def problem_body(
    status: int, title: str, detail: str, type_uri: str, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem, with the correlation id that finds the request in the logs."""
    body: dict[str, Any] = {
        "type": type_uri,
        "title": title,
        "status": status,
        "detail": detail,
        "correlationId": request_id_var.get(),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(
    status: int,
    title: str,
    detail: str,
    type_uri: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem as an application/problem+json response."""
    body = problem_body(status, title, detail, type_uri, **extra)
    return Response(json.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_app_error(exc: AppError) -> Response:
    """The problem answer for a domain error raised anywhere below the routes."""
    return problem_response(
        exc.status, exc.title, exc.detail, exc.type_uri, headers=exc.headers, **exc.extra
    )


def _pointer(loc: tuple[Any, ...]) -> tuple[str, str]:
    """Map a pydantic location to (name, pointer): a JSON pointer for bodies, else the key."""
    where, *rest = loc or ("body",)
    if where == "body":
        return ".".join(str(p) for p in rest) or "body", "/" + "/".join(str(p) for p in rest)
    return str(rest[0]) if rest else str(where), f"{where}:{rest[0] if rest else ''}"


def invalid_params(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Validation errors as named fields with JSON pointers, not pydantic's locations."""
    out = []
    for err in errors:
        name, pointer = _pointer(tuple(err.get("loc", ())))
        if err.get("type") == "json_invalid":
            name, pointer = "body", "/"
        out.append({"name": name, "pointer": pointer, "reason": err.get("msg", "invalid")})
    return out


def _validation_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    params = invalid_params(list(exc.errors()))
    names = ", ".join(p["name"] for p in params)
    err = InvalidInput(f"{len(params)} invalid field(s): {names}")
    return problem_response(400, err.title, err.detail, err.type_uri, invalidParams=params)


def _app_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if exc.status >= 500:
        log.error("app_error", error=type(exc).__name__)
    return from_app_error(exc)


def _stale_handler(_request: Request, _exc: Exception) -> Response:
    return from_app_error(PreconditionFailed("The resource was changed by someone else."))


def _database_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    if getattr(exc.orig, "sqlstate", None) != QUERY_CANCELED:
        return _unhandled(request, exc)
    # The statement and its parameters stay out of the log (they may hold search text).
    log.warning("statement_timeout", route=getattr(request.scope.get("route"), "path", None))
    return from_app_error(
        StatementTimeout(
            "The request ran past the statement timeout and was cancelled. Retry later, or "
            "narrow it down (e.g. more search words or filters).",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    )


def allowed_methods(request: Request, given: str) -> str:
    """Every method served at this path, across sibling routes (Starlette names only one).

    A literal path (`/improvements/order`) is its own resource, not an instance of a sibling
    template (`/improvements/{improvementId}`): the templates with the fewest parameters that
    match are the ones that answer. Read from the routes the OpenAPI document is made of, not
    from the document: building that costs a worker about 20 MB and seconds of CPU."""
    methods = {m.strip() for m in given.split(",") if m.strip()}
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    matched: list[tuple[int, set[str]]] = []
    for route in iter_route_contexts(request.app.routes):  # as get_openapi reads them
        template, served = route.path_format or "", route.methods or set()
        if (
            isinstance(route.original_route, APIRoute)
            and route.include_in_schema
            and template.startswith(API_PREFIX)
            and route.path_regex.match(path)
        ):
            matched.append((template.count("{"), served))
    fewest = min((n for n, _ in matched), default=0)
    for params, served in matched:
        if params == fewest:
            methods |= served
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else title
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request, headers.get("Allow", ""))
        detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    elif exc.status_code == 404:
        detail = "No resource exists at this address."
    return problem_response(exc.status_code, title, detail, PROBLEM_BASE + slug, headers=headers)


def _unhandled(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", error=type(exc).__name__)
    return problem_response(
        500,
        "Internal server error",
        "An unexpected error occurred. Quote the correlation id when you report it.",
        PROBLEM_BASE + "internal-error",
    )


def install(app: FastAPI) -> None:
    """Make every failure, expected or not, answer as application/problem+json."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(StaleDataError, _stale_handler)
    app.add_exception_handler(DBAPIError, _database_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unhandled)
