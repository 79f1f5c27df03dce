"""The one family of application errors; each knows its HTTP status and problem type.

Services raise these; a single handler renders them as RFC 9457 problem details.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://regie.example/problems/"


class AppError(Exception):
    status: int = 500
    type_slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.type_slug


class InvalidInput(AppError):
    status, type_slug, title = 400, "invalid-input", "Invalid input"


class Unauthenticated(AppError):
    status, type_slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(AppError):
    status, type_slug, title = 403, "forbidden", "Not permitted"


class NotFound(AppError):
    status, type_slug, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, type_slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    status, type_slug, title = 412, "precondition-failed", "Precondition failed"


class Unprocessable(AppError):
    status, type_slug, title = 422, "unprocessable", "Request cannot be processed"


class PreconditionRequired(AppError):
    status, type_slug, title = 428, "precondition-required", "Precondition required"


class StatementTimeout(AppError):
    """The database cancelled a statement that ran past the statement timeout."""

    status, type_slug, title = 503, "statement-timeout", "Request took too long"


class CrossTenantWrite(AppError):
    """A write named a tenant other than the session's: a programming error, never allowed."""

    status, type_slug, title = 500, "internal-error", "Internal server error"


def refuse_nulls(given: dict[str, Any], names: tuple[str, ...]) -> None:
    """400 naming each of `names` (snake_case fields) that a merge patch tried to remove."""
    nulls = [_camel(n) for n in names if n in given and given[n] is None]
    if nulls:
        raise InvalidInput(
            "These fields cannot be removed: " + ", ".join(nulls) + ".",
            invalidParams=[
                {"name": n, "pointer": f"/{n}", "reason": "may not be null"} for n in nulls
            ],
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
