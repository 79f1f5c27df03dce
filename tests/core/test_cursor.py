"""The engine's cursor describes a result when asked, as psycopg's own does: what
SQLAlchemy maps result columns by, and what a caller of the driver reads."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from core.cursor import Cursor
from core.db import get_engine

pytestmark = pytest.mark.postgres

MIXED = (
    "SELECT 1::int AS n, 'x'::varchar(12) AS label, now() AS at, 2.5::numeric(6, 2) AS price,"
    " NULL::uuid AS nothing, ARRAY['a']::text[] AS tags"
)


def _fields(description) -> list[tuple]:
    return [tuple(column) for column in description]


def test_a_description_is_psycopgs_own_and_stays_with_its_result() -> None:
    with get_engine().connect() as conn:
        driver = conn.connection.dbapi_connection
        cursor = driver.cursor()
        assert isinstance(cursor, Cursor)
        cursor.execute(MIXED)
        described = cursor.description
        cursor.execute("SELECT 7 AS other")  # the cursor moves on before the first is read
        plain = psycopg.Cursor(driver)
        plain.execute(MIXED)
        assert _fields(described) == _fields(plain.description)
        assert [c.name for c in described] == ["n", "label", "at", "price", "nothing", "tags"]
        assert described[1].type_display == "varchar(12)"
        assert [c.name for c in cursor.description] == ["other"]
        cursor.execute("SET LOCAL statement_timeout = 1000")
        assert cursor.description is None
        cursor.execute("SELECT")  # rows of no column
        assert cursor.description is not None and len(cursor.description) == 0


def test_sqlalchemy_maps_the_columns_of_each_statement_by_name() -> None:
    with get_engine().connect() as conn:
        for _ in range(2):  # the second time from SQLAlchemy's cached columns
            first = conn.execute(text("SELECT 1 AS a, 'b' AS b")).mappings().one()
            second = conn.execute(text("SELECT 'b' AS b, 1 AS a, 3 AS c")).mappings().one()
            assert dict(first) == {"a": 1, "b": "b"}
            assert dict(second) == {"b": "b", "a": 1, "c": 3}
