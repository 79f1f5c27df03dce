"""The psycopg cursor the engine's connections make: a result's description built when read.

psycopg answers `cursor.description` with a new `Column` for every field, ~2 µs each;
SQLAlchemy asks for it after every statement, and for a statement it has run before only
looks at whether there is one (it keeps the columns it mapped the first time). A change's
GET and vote read ~85 columns, a ticket's list ~40: work nobody reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus

_TUPLES = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class Fields(Sequence[Column]):
    """The columns of one result, as psycopg describes them, built on first read; it keeps
    that result, so reading it after the cursor moved on still describes this one."""

    __slots__ = ("_columns", "_cursor", "pgresult")

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor
        self.pgresult = cursor.pgresult
        self._columns: list[Column] | None = None

    # What `Column` reads of the cursor besides its result.
    @property
    def _encoding(self) -> str:
        return self._cursor._encoding

    @property
    def adapters(self) -> Any:
        return self._cursor.adapters

    def __len__(self) -> int:
        return self.pgresult.nfields if self.pgresult else 0

    @overload
    def __getitem__(self, index: int) -> Column: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Column]: ...

    def __getitem__(self, index: int | slice) -> Column | Sequence[Column]:
        if self._columns is None:
            self._columns = [Column(self, i) for i in range(len(self))]  # type: ignore[arg-type]
        return self._columns[index]


class Cursor(psycopg.Cursor[Any]):
    """psycopg's cursor, with `description` as `Fields`."""

    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        res = self.pgresult
        if res and (res.nfields or res.status in _TUPLES):
            return Fields(self)
        return None
