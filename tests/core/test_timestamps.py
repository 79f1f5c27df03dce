"""Timestamps come back aware and in UTC, whatever time zone the database speaks by default:
the answers give them with a `Z`, and the figures count days in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy import Date, Engine, cast, literal, select, text
from sqlalchemy.pool import NullPool

from core.db import make_engine
from core.settings import get_settings
from core.types import UTCDateTime

pytestmark = pytest.mark.postgres

AT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night the Netherlands moves its clocks


class _Answer(BaseModel):
    at: datetime


def test_a_timestamp_reads_back_in_utc_whatever_the_databases_default_zone(
    owner_engine: Engine,
) -> None:
    database = owner_engine.url.database
    with owner_engine.begin() as conn:
        conn.execute(text(f"ALTER DATABASE {database} SET timezone = 'America/New_York'"))
    engine = make_engine(get_settings().database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            at = conn.execute(select(literal(AT, UTCDateTime))).scalar_one()
            day = conn.execute(select(cast(literal(AT, UTCDateTime), Date))).scalar_one()
    finally:
        engine.dispose()
        with owner_engine.begin() as conn:
            conn.execute(text(f"ALTER DATABASE {database} RESET timezone"))
    assert at == AT and at.utcoffset() == timedelta(0)
    assert _Answer(at=at).model_dump_json() == '{"at":"2026-03-29T00:30:00Z"}'
    assert str(day) == "2026-03-29"  # New York's day would be the 28th
