"""A month's clock counts on PostgreSQL read one index range per kind, as the app role under
row-level security: the supplier overview asks them of every client, and joining each clock to
its ticket's facts to leave out rejected tickets was most of its time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from core.db import new_session
from services.kpi import repository

pytestmark = pytest.mark.postgres

# 24 months of incidents, three clocks each; every 50th ticket ended rejected, every 7th clock
# was breached before it stopped.
_LOAD = """
WITH t AS (
  SELECT gen_random_uuid() AS id, i,
    timestamptz '2025-01-01 09:00+00' + i * interval '40 minutes' AS opened,
    i % 50 = 0 AS rejected
  FROM generate_series(1, :n) AS i
), f AS (
  INSERT INTO services_kpi_ticket (tenant_id, ticket_id, number, type, priority, status,
    opened_at, finished_at, resolved, rejected, reopen_count, escalated, statuses, as_of,
    computed_at)
  SELECT :tenant, id, 'PLN-' || lpad(i::text, 6, '0'), 'incident', 'high',
    CASE WHEN rejected THEN 'rejected' ELSE 'resolved' END, opened, opened + interval '3 hours',
    NOT rejected, rejected, 0, false, '[]', opened, now()
  FROM t
)
INSERT INTO services_sla_clock (tenant_id, ticket_id, kind, priority, state, elapsed_seconds,
  target_seconds, remaining_seconds, breached_at, stopped_at, decided_at, rejected, as_of,
  computed_at)
SELECT :tenant, t.id, k, 'high', 'stopped', 60, 7200, 0,
  CASE WHEN t.i % 7 = 0 THEN t.opened + interval '2 hours' END, t.opened + interval '3 hours',
  CASE WHEN t.i % 7 = 0 THEN t.opened + interval '2 hours' ELSE t.opened + interval '3 hours' END,
  t.rejected, t.opened, now()
FROM t, unnest(ARRAY['response', 'restore_platform', 'restore_application']) AS k
"""
TICKETS = 26_000
MONTH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
KINDS = ("response", "restore_platform")


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_a_months_clock_counts_read_only_the_decided_index(desk, owner_engine) -> None:
    with owner_engine.begin() as conn:
        conn.execute(
            text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(desk.tenant.id)}
        )
        conn.execute(text(_LOAD), {"tenant": desk.tenant.id, "n": TICKETS})
    with owner_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) services_sla_clock"))
        conn.execute(text("VACUUM (ANALYZE) services_kpi_ticket"))
    with new_session(desk.tenant.id) as session:
        counts = {
            kind: (missed, total)
            for kind, missed, total in repository.decided_counts(session, *MONTH, KINDS)
        }
        # The statement the overview sends for each client, as sent.
        sent: list[tuple[str, Any]] = []
        engine = session.get_bind()
        record = lambda _c, _cur, statement, params, *_: sent.append((statement, params))  # noqa: E731
        event.listen(engine, "before_cursor_execute", record)
        try:
            repository.headline_counts(session, *MONTH, KINDS, set())
        finally:
            event.remove(engine, "before_cursor_execute", record)
        statement, params = next((s, p) for s, p in sent if "services_sla_clock" in s)
        explain = f"EXPLAIN (FORMAT JSON) {statement}"
        plan = session.connection().exec_driver_sql(explain, params).scalar_one()
    # Counted in SQL from the loaded rows: rejected tickets out, breached ones missed.
    with owner_engine.begin() as conn:
        conn.execute(
            text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(desk.tenant.id)}
        )
        expected = {
            kind: (missed, total)
            for kind, missed, total in conn.execute(
                text(
                    "SELECT c.kind, count(*) FILTER (WHERE c.breached_at IS NOT NULL), count(*) "
                    "FROM services_sla_clock c JOIN services_kpi_ticket f USING (tenant_id, "
                    "ticket_id) WHERE c.kind = ANY(:kinds) AND NOT f.rejected AND "
                    "coalesce(c.breached_at, c.stopped_at) >= :s AND "
                    "coalesce(c.breached_at, c.stopped_at) < :e GROUP BY c.kind"
                ),
                {"kinds": list(KINDS), "s": MONTH[0], "e": MONTH[1]},
            )
        }
    assert counts == expected and all(total > 1000 for _, total in counts.values())
    nodes = list(_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
    on_clocks = [n for n in nodes if n.get("Relation Name") == "services_sla_clock"]
    assert [n["Node Type"] for n in on_clocks] == ["Index Only Scan"]
    assert on_clocks[0]["Index Name"] == "ix_services_sla_clock_decided"
