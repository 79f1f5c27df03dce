"""One row of a Core SELECT built once, read on PostgreSQL straight from the driver's cursor.

A request's hottest reads (its API key, the ticket a GET answers) are Core statements built
once. SQLAlchemy still does per execution what a fixed statement does not need: the cache
key walked over every selected column, the execution context, the result's metadata and row
objects; about 0.13 ms of CPU per statement here, more than the driver's own work
(bench/README.md, "The stack's floor"). Here the statement is compiled once for the dialect,
sent on the cursor of the session's connection (so it runs in the request's transaction, its
tenant setting and statement timeout included), and each value passes SQLAlchemy's own result
processor for its column type (enums, the UTC date-times), so a row reads as SQLAlchemy would
give it. Driver errors come out as SQLAlchemy's, as the problem handlers expect them.

Where something listens to the statements (a test's count, the tracing instrumentation) and
on SQLite, the statement is executed by SQLAlchemy as before, so that they see it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Connection, Select
from sqlalchemy.exc import DBAPIError

from core.db import statements_listened


class OneRow:
    """A SELECT built once (bound parameters only) whose first row a request reads."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        names = list(statement.selected_columns.keys())
        # A row's fields by name, as the callers read them: the names must be distinct.
        self._shape = namedtuple("Row", names)  # type: ignore[misc]
        self._sql: str | None = None
        self._fixed: dict[str, Any] = {}  # the statement's own values, e.g. a LIMIT's
        self._processors: list[tuple[int, Callable[[Any], Any]]] | None = None

    def first(self, connection: Connection, params: dict[str, Any]) -> Any:
        """The first row, its fields by column name; None when there is none."""
        if connection.dialect.name != "postgresql" or statements_listened(connection):
            return connection.execute(self.statement, params).first()
        sql = self._sql or self._compile(connection)
        if self._fixed:
            params = {**self._fixed, **params}
        driver: Any = connection.connection.driver_connection
        cursor = driver.cursor()
        try:
            cursor.execute(sql, params)
            found = cursor.fetchone()
            if self._processors is None:
                self._processors = self._processors_for(connection, cursor)
        except psycopg.Error as exc:
            raise DBAPIError.instance(
                sql, params, exc, psycopg.Error, hide_parameters=True, dialect=connection.dialect
            ) from exc
        finally:
            cursor.close()
        if found is None:
            return None
        if self._processors:
            found = list(found)
            for index, process in self._processors:
                found[index] = process(found[index])
        return self._shape(*found)

    def _compile(self, connection: Connection) -> str:
        compiled = self.statement.compile(dialect=connection.dialect)
        processed = any(_bind_processor(b, connection) for b in compiled.binds.values())
        if compiled.literal_execute_params or compiled.post_compile_params or processed:
            raise ValueError("OneRow takes bound parameters the driver sends as they are")
        self._fixed = {k: b.effective_value for k, b in compiled.binds.items() if not b.required}
        self._sql = str(compiled)
        return self._sql

    def _processors_for(
        self, connection: Connection, cursor: Any
    ) -> list[tuple[int, Callable[[Any], Any]]]:
        dialect = connection.dialect
        kept: list[tuple[int, Callable[[Any], Any]]] = []
        for index, (column, described) in enumerate(
            zip(self.statement.selected_columns, cursor.description, strict=True)
        ):
            process = column.type.dialect_impl(dialect).result_processor(
                dialect, described.type_code
            )
            if process is not None:
                kept.append((index, process))
        return kept


def _bind_processor(bind: Any, connection: Connection) -> Any:
    return bind.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
