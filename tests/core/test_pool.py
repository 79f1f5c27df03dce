"""A pooled connection the database ended is replaced before a request gets it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from core.db import make_engine
from core.settings import get_settings
from tests.conftest import TEST_PG

pytestmark = pytest.mark.postgres


def test_a_connection_the_server_ended_is_replaced_before_use() -> None:
    assert TEST_PG
    engine = make_engine(get_settings().database_url, pool_size=1, max_overflow=0)
    admin = make_engine(TEST_PG, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        with engine.connect() as conn:
            ended = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": ended}).scalar()
            for _ in range(100):  # the backend says goodbye, then goes
                gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :p"
                if conn.execute(text(gone), {"p": ended}).scalar():
                    break
                time.sleep(0.02)
        with engine.connect() as conn:  # the pool's one connection, cut: replaced, no error
            now = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert now != ended
        with engine.connect() as conn:  # an idle healthy one is kept
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == now
    finally:
        engine.dispose()
        admin.dispose()
