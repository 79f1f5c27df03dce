"""Optimistic concurrency: ETags from a row's version, If-Match demanded on updates."""

from __future__ import annotations

from core.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """428 without If-Match, 412 when it names another version than the current one."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and etag(version) not in tags:
        raise PreconditionFailed(
            "The resource changed since you read it; fetch it again and retry.",
            currentEtag=etag(version),
        )
