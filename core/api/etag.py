"""Optimistic concurrency: ETags from a row's version, If-Match demanded on updates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from core.errors import PreconditionFailed, PreconditionRequired

# Documented on every route that demands If-Match; the one route that needs it only to replace
# an existing resource says so with OPTIONAL_IF_MATCH instead (core/api/openapi.py marks it).
IF_MATCH_REQUIRED = (
    "The strong ETag you last read (428 without it or with `*`, 412 when stale or weak)"
)
OPTIONAL_IF_MATCH = "The strong ETag you last read; needed only to replace an existing resource"
# Optional to FastAPI so that a missing header is 428 (from the service), not 400.
IfMatch = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_REQUIRED)]


def etag(version: int) -> str:
    """The ETag of a stored version, which If-Match must repeat to write it."""
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """428 without If-Match or with `*`, 412 unless it names the current version (strongly).

    `*` matches any representation, which would defeat the lock; a weak tag (`W/"n"`) never
    matches under the strong comparison RFC 9110 prescribes for If-Match."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    tags = {t.strip() for t in if_match.split(",")}
    if "*" in tags:
        raise PreconditionRequired(
            "If-Match: * would overwrite whatever version is stored; send the ETag you last read."
        )
    if etag(version) not in tags:
        weak = any(t.startswith("W/") for t in tags)
        raise PreconditionFailed(
            "A weak ETag (W/...) never matches: send the strong ETag you last read."
            if weak
            else "The resource changed since you read it; fetch it again and retry.",
            currentEtag=etag(version),
        )
