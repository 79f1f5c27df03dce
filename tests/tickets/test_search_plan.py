"""Search on PostgreSQL with many replies: answered from the full-text index although the app
role is under row-level security, kept to the caller's tenant, and a statement that runs past
the statement timeout answers 503 instead of running on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import ProgrammingError

from core.db import get_engine, new_session
from tests.factories import auth

pytestmark = pytest.mark.postgres

TICKETS = 4000
# Every 40th ticket has a reply with the rare word; every ticket's text has the common one.
_LOAD = """
WITH t AS (
  INSERT INTO tickets_ticket (tenant_id, id, number, type, title, description, status, impact,
    urgency, priority, reporter_id, reporter_name, privacy_findings, version, created_at,
    updated_at)
  SELECT :tenant, gen_random_uuid(), 'BLK-' || lpad(i::text, 6, '0'), 'incident',
    'Storing printer ' || i, 'De gebruiker meldt een storing op verdieping ' || (i % 9), 'new',
    'low', 'low', 'low', gen_random_uuid(), 'Melder', '[]', 1,
    now() - i * interval '1 minute', now()
  FROM generate_series(1, :n) AS i
  RETURNING id, created_at
)
INSERT INTO tickets_message (tenant_id, id, ticket_id, author, author_id, author_name,
  by_reporter, visibility, body, redacted, created_at)
SELECT :tenant, gen_random_uuid(), t.id, 'user:agent', gen_random_uuid(), 'Agent', false,
  'public', CASE WHEN r = 1 AND row_number() OVER () % 40 = 0
    THEN 'De kwartelkoning is gevonden en verwijderd' ELSE 'Opnieuw opgestart, werkt weer' END,
  false, t.created_at + r * interval '1 second'
FROM t, generate_series(1, 2) AS r
"""


def _load(owner_engine: Any, tenant_id: Any) -> None:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant_id)})
        conn.execute(text(_LOAD), {"tenant": tenant_id, "n": TICKETS})
        conn.execute(text("ANALYZE tickets_ticket"))
        conn.execute(text("ANALYZE tickets_message"))


@pytest.fixture
def statements() -> Iterator[list[tuple[str, Any]]]:
    """Every statement the app's engine sends while the test runs, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(get_engine(), "before_cursor_execute", record)
    yield seen
    event.remove(get_engine(), "before_cursor_execute", record)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_a_reply_search_reads_the_tickets_once_and_the_text_through_the_search_function(
    desk, owner_engine, statements
) -> None:
    _load(owner_engine, desk.tenant.id)
    began = time.perf_counter()
    r = desk.client.get(
        "/api/v1/tickets", params={"q": "kwartelkoning", "limit": 50}, headers=auth(desk.agent)
    )
    took = time.perf_counter() - began
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 50 and r.json()["nextCursor"]
    assert took < 2.0
    sql, params = next((s, p) for s, p in statements if "tickets_search(" in s)
    with new_session(desk.tenant.id) as session:
        conn = session.connection()
        plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params).scalar_one()
        nodes = list(_nodes(plan[0]["Plan"]))
        # The app role reads no reply and walks no text: the function answers the ids from
        # entries whose policy is not forced, so their GIN index may answer the words.
        assert not [n for n in nodes if n.get("Parent Relationship") == "SubPlan"]
        assert [n["Relation Name"] for n in nodes if "Relation Name" in n] == ["tickets_ticket"]
        assert [n["Function Name"] for n in nodes if "Function Name" in n] == ["tickets_search"]


def test_a_common_word_walks_the_list_and_answers_the_page_a_fetch_by_id_answers(
    desk, owner_engine, statements
) -> None:
    _load(owner_engine, desk.tenant.id)
    with owner_engine.begin() as conn:
        conn.execute(text("ANALYZE tickets_search_entry"))  # what autovacuum keeps current
    r = desk.client.get(
        "/api/v1/tickets", params={"q": "storing", "limit": 50}, headers=auth(desk.agent)
    )
    assert r.status_code == 200, r.text
    sql, params = next((s, p) for s, p in statements if "tickets_search_has(" in s)
    with new_session(desk.tenant.id) as session:
        conn = session.connection()
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).scalar_one()
        by_id = conn.exec_driver_sql(
            "SELECT number FROM tickets_ticket WHERE id IN (SELECT s FROM "
            "tickets_search('storing', true) s) ORDER BY created_at DESC, id DESC LIMIT 50"
        ).scalars()
        assert [t["number"] for t in r.json()["items"]] == list(by_id)
    # Every ticket matches: the newest 50 are found by asking 51 tickets, not fetching 4,000.
    walked = [n for n in _nodes(plan[0]["Plan"]) if "tickets_search_has" in n.get("Filter", "")]
    assert [(n["Index Name"], n["Actual Rows"]) for n in walked] == [
        ("ix_tickets_ticket_created", 51)
    ], plan


def test_the_app_role_reads_the_search_entries_only_through_the_search_of_its_tenant(
    desk, other, owner_engine
) -> None:
    _load(owner_engine, desk.tenant.id)
    search = "SELECT count(*) FROM tickets_search('kwartelkoning', true)"
    with new_session(desk.tenant.id) as session:
        assert session.connection().exec_driver_sql(search).scalar_one() == TICKETS // 40
    with new_session(other.tenant.id) as session:
        assert session.connection().exec_driver_sql(search).scalar_one() == 0
    with new_session(None) as session:
        assert session.connection().exec_driver_sql(search).scalar_one() == 0
    with new_session(desk.tenant.id) as session, pytest.raises(ProgrammingError) as refused:
        session.connection().exec_driver_sql("SELECT count(*) FROM tickets_search_entry")
    assert "permission denied" in str(refused.value)


def test_asking_one_ticket_answers_for_the_tenant_and_the_visibility_given(
    desk, other, owner_engine
) -> None:
    _load(owner_engine, desk.tenant.id)
    with owner_engine.begin() as conn:
        conn.execute(
            text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(desk.tenant.id)}
        )
        ticket = conn.execute(text("SELECT id FROM tickets_ticket LIMIT 1")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO tickets_message (tenant_id, id, ticket_id, author, author_id, "
                "author_name, by_reporter, visibility, body, redacted, created_at) VALUES "
                "(:t, gen_random_uuid(), :ticket, 'user:agent', gen_random_uuid(), 'Agent', "
                "false, 'internal', 'Alleen intern: grutto', false, now())"
            ),
            {"t": desk.tenant.id, "ticket": ticket},
        )
    has = "SELECT tickets_search_has(%(id)s, to_tsquery('dutch', 'grutto'), %(internal)s)"
    with new_session(desk.tenant.id) as session:
        conn = session.connection()
        assert conn.exec_driver_sql(has, {"id": ticket, "internal": True}).scalar_one()
        assert not conn.exec_driver_sql(has, {"id": ticket, "internal": False}).scalar_one()
    with new_session(other.tenant.id) as session:
        conn = session.connection()
        assert not conn.exec_driver_sql(has, {"id": ticket, "internal": True}).scalar_one()


def test_a_statement_past_the_timeout_answers_503_and_the_next_request_works(
    desk, owner_engine, configure
) -> None:
    _load(owner_engine, desk.tenant.id)
    configure(statement_timeout_ms="1")
    r = desk.client.get(
        "/api/v1/tickets",
        params={"q": "gebruiker storing printer", "sort": "-priority"},
        headers=auth(desk.agent),
    )
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["type"].endswith("/statement-timeout")
    configure(statement_timeout_ms="10000")
    r = desk.client.get("/api/v1/tickets", params={"q": "gebruiker"}, headers=auth(desk.agent))
    assert r.status_code == 200, r.text
