"""A row read from the driver's cursor (core.rows) reads as SQLAlchemy reads it, and its
errors come out as SQLAlchemy's, which the problem handlers answer."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Uuid, bindparam, cast, false, func, null, select, text
from sqlalchemy import Enum as EnumType
from sqlalchemy.exc import DBAPIError

from core.api.problems import QUERY_CANCELED
from core.db import get_engine
from core.rows import OneRow
from core.types import UTCDateTime

pytestmark = pytest.mark.postgres


class Colour(enum.StrEnum):
    red = "red"
    blue = "blue"


COLOUR = EnumType(Colour, native_enum=False, length=20)  # stored as text, as tickets' are


def test_the_values_and_their_types_are_sqlalchemys_own() -> None:
    given = select(
        bindparam("id", type_=Uuid).label("id"),
        cast(bindparam("colour"), COLOUR).label("colour"),
        cast(bindparam("at"), UTCDateTime()).label("at"),
        cast(bindparam("found"), JSON).label("found"),
        cast(null(), COLOUR).label("none"),
    )
    read = OneRow(given)
    params = {
        "id": uuid.uuid4(),
        "colour": "blue",
        "at": datetime(2026, 12, 7, 23, 0, tzinfo=UTC),
        "found": '[{"kind": "bsn"}]',
    }
    with get_engine().connect() as conn:
        for _ in range(2):  # compiled on the first use, its processors kept from then on
            direct = read.first(conn, params)
            by_sqlalchemy = conn.execute(given, params).one()
            assert tuple(direct) == tuple(by_sqlalchemy)
            assert [type(v) for v in direct] == [type(v) for v in by_sqlalchemy]
            assert direct.colour is Colour.blue and direct.none is None
            assert direct.at == params["at"] and direct.at.tzinfo is not None
            assert direct.found == [{"kind": "bsn"}] and direct.id == params["id"]


def test_no_row_is_none() -> None:
    with get_engine().connect() as conn:
        assert (
            OneRow(select(bindparam("n").label("n")).where(false())).first(conn, {"n": 1}) is None
        )


def test_a_cancelled_statement_is_sqlalchemys_error_with_its_sqlstate() -> None:
    with get_engine().connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL statement_timeout = 50"))
        with pytest.raises(DBAPIError) as raised:
            OneRow(select(func.pg_sleep(bindparam("s")).label("slept"))).first(conn, {"s": 1})
        assert raised.value.orig.sqlstate == QUERY_CANCELED  # answered 503 by the handler


def test_the_statements_own_values_go_with_the_callers() -> None:
    latest = OneRow(
        select(func.generate_series(1, bindparam("n")).label("n")).order_by(text("1 DESC")).limit(1)
    )
    with get_engine().connect() as conn:
        assert latest.first(conn, {"n": 3}).n == 3  # LIMIT 1, a value of the statement's own
