"""Counting the SQL statements a piece of work sends: a guard on round trips per request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from core.db import get_engine


@contextmanager
def counted() -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs, in order."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split())[:120])

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)
