"""Shape FastAPI's OpenAPI document to the Dutch API Design Rules.

Paths are given relative to the `/api/v1` server entry; every error is a problem document;
the statuses every operation can answer are declared from what the shared layer really does
(validation, authentication, lookups, If-Match, Idempotency-Key, body limits).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from core.api.etag import IF_MATCH_REQUIRED

API_PREFIX = "/api/v1"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "correlationId": {"type": "string", "description": "Quote this when reporting"},
        "invalidParams": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "reason"],
                "properties": {
                    "name": {"type": "string"},
                    "pointer": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}
VERSION_HEADER = {
    "description": "The full version of this API",
    "schema": {"type": "string", "example": "1.0.0"},
}
DESCRIPTIONS = {
    "400": "Invalid input: every invalid field is listed in invalidParams",
    "401": "No valid credentials",
    "403": "The credentials lack the permission",
    "404": "Not found (also for another tenant's resources)",
    "405": "Method not allowed",
    "409": "Conflict, or a concurrent request with the same Idempotency-Key",
    "412": "If-Match names an outdated version, or a weak ETag",
    "413": "Request body too large",
    "415": "The body is not JSON",
    "422": "The Idempotency-Key was used for a different request",
    "428": "If-Match is required, with an ETag (not *)",
    "500": "Unexpected error; no details are disclosed",
    "503": "A dependency is unavailable, the service is at capacity (retry after the seconds "
    "given), or the request ran past the statement timeout",
}


def _error_codes(method: str, op: dict[str, Any]) -> set[str]:
    params = op.get("parameters", [])
    names = {p["name"] for p in params}
    codes = {"500", "405"}
    if op.get("security"):
        codes |= {"401", "403", "503"}  # 503: at capacity, or cancelled by statement_timeout
    if params or "requestBody" in op:
        codes.add("400")
    if any(p["in"] == "path" for p in params):
        codes.add("404")
    if "requestBody" in op:
        codes |= {"413", "415"}
    if method in ("post", "put", "patch"):
        codes |= {"409", "422"}  # business conflicts and refusals (duplicates, personal data)
    if "If-Match" in names:
        codes |= {"412", "428", "409"}
    if "Idempotency-Key" in names:
        codes |= {"409", "422"}
    return codes


def _fix_operation(method: str, op: dict[str, Any]) -> None:
    for param in op.get("parameters", []):
        if param["in"] == "header" and param.get("description") == IF_MATCH_REQUIRED:
            param["required"] = True  # demanded by the service, which answers 428 without it
    responses = op.setdefault("responses", {})
    if responses.get("422", {}).get("description") == "Validation Error":
        responses.pop("422")  # FastAPI's own: Regie answers invalid input with 400
    for code in sorted(_error_codes(method, op) | {c for c in responses if c[0] in "45"}):
        desc = responses.get(code, {}).get("description") or DESCRIPTIONS.get(code, "Error")
        responses[code] = {
            "description": desc,
            "content": {"application/problem+json": {"schema": PROBLEM_REF}},
        }
        if code == "503":
            responses[code]["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
            }
        if code == "405":
            responses[code]["headers"] = {
                "Allow": {"description": "Methods served here", "schema": {"type": "string"}},
                "API-Version": {"$ref": "#/components/headers/API-Version"},
            }
    for code, resp in responses.items():
        if code[0] in "23":
            resp.setdefault("headers", {})["API-Version"] = {
                "$ref": "#/components/headers/API-Version"
            }


def build_openapi(
    app: FastAPI, *, version: str, public_url: str, contact: dict[str, str]
) -> dict[str, Any]:
    """The published document: paths under the API prefix, problem+json errors, ADR names."""
    doc = get_openapi(
        title="Regie API",
        version=version,
        description="ITSM for an outsourced public-sector information service.",
        routes=app.routes,
        contact=contact,
    )
    doc["servers"] = [{"url": public_url + API_PREFIX, "description": "This installation"}]
    doc["paths"] = {
        path.removeprefix(API_PREFIX) or "/": item
        for path, item in doc.get("paths", {}).items()
        if path.startswith(API_PREFIX)
    }
    for item in doc["paths"].values():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                _fix_operation(method, op)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components.setdefault("headers", {})["API-Version"] = VERSION_HEADER
    return _rename_form_bodies(doc)


def _rename_form_bodies(doc: dict[str, Any]) -> dict[str, Any]:
    """FastAPI names form bodies `Body_<function>_<path>`; ADR wants UpperCamelCase names."""
    schemas = doc["components"]["schemas"]
    renames = {}
    for name in [n for n in schemas if n.startswith("Body_")]:
        function = name.removeprefix("Body_").split("_api_v1")[0]
        renames[name] = "".join(part.capitalize() for part in function.split("_")) + "Form"
        schemas[renames[name]] = schemas.pop(name)
    if not renames:
        return doc
    text = json.dumps(doc)
    for old, new in renames.items():
        text = text.replace(f"#/components/schemas/{old}", f"#/components/schemas/{new}")
    return dict(json.loads(text))


def install(app: FastAPI, *, version: str, public_url: str, contact: dict[str, str]) -> None:
    """Build the OpenAPI document on first request only: most workers never serve it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(
                app, version=version, public_url=public_url, contact=contact
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
