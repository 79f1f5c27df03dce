"""Cursor pagination over a stable sort: (sort column, id) is always unique."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlmodel.sql.expression import SelectOfScalar

from core.errors import InvalidInput

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    nextCursor: str | None = None  # noqa: N815 - API property names are lowerCamelCase


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor, so clients page by it and never build one themselves."""
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The values behind a cursor; a tampered or foreign cursor is invalid input."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        raise InvalidInput(
            "The cursor is not one this API gave out.",
            invalidParams=[
                {"name": "cursor", "pointer": "query:cursor", "reason": "malformed cursor"}
            ],
        ) from None
    if not isinstance(values, list) or len(values) != 2:
        raise InvalidInput("The cursor is not one this API gave out.")
    return values


def typed_cursor(after: list[Any] | None, *, timestamp: bool) -> list[Any] | None:
    """A decoded cursor's (sort value, id) back in their types; 400 if it does not fit."""
    if after is None:
        return None
    try:
        value = datetime.fromisoformat(str(after[0])) if timestamp else str(after[0])
        return [value, uuid.UUID(str(after[1]))]
    except (ValueError, TypeError):
        raise InvalidInput("The cursor does not belong to this list and sort order.") from None


def keyset(
    stmt: SelectOfScalar[Any],
    sort_col: Any,
    id_col: Any,
    *,
    descending: bool,
    after: list[Any] | None,
) -> SelectOfScalar[Any]:
    """Order by (sort, id) and continue strictly after the cursor's (sort, id)."""
    if after is not None:
        value, last_id = after
        beyond = sort_col < value if descending else sort_col > value
        tie = id_col < last_id if descending else id_col > last_id
        stmt = stmt.where(or_(beyond, and_(sort_col == value, tie)))
    order = (sort_col.desc(), id_col.desc()) if descending else (sort_col.asc(), id_col.asc())
    return stmt.order_by(*order)


def split_page(
    rows: list[T], limit: int, cursor_of: Callable[[T], list[Any]]
) -> tuple[list[T], list[Any] | None]:
    """`limit + 1` rows read: the page, and its last row's cursor values when more follow."""
    page = rows[:limit]
    return page, cursor_of(page[-1]) if len(rows) > limit else None
