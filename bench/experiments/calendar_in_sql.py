"""What if PostgreSQL built the change calendar's month, conflicts and all?

    .venv/bin/python bench/experiments/calendar_in_sql.py --db changes_bench [--months 3,4,5]

A what-if, not the app's code: one statement per tenant renders every entry of a month as
its JSON, with its conflicts (overlapping live changes on a shared service, or on CIs that
are the same or related within two relations; freezes; the DAP's maintenance windows for
downtime). The CMDB's related pairs and the DAP's windows are asked first, as the app asks
them, and passed in. For each month (counted from this month) it runs the 20 tenants'
statements in one read-only transaction, each tenant under its own row-level security,
merges them by planned start as the overview does, checks that the entries equal the app's
answer (`overview_json`, compared as parsed JSON), and prints the time of the statements and
of the app's whole month in this process. Dataset: bench/changes_dataset.py.
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

# The moment as pydantic writes it: UTC with a Z, fractions only when there are any.
TS = """(to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
  || CASE WHEN date_part('microseconds', {c})::int % 1000000 <> 0
     THEN to_char({c} AT TIME ZONE 'UTC', '.US') ELSE '' END || 'Z')"""
IDS = "(SELECT coalesce(json_agg(v::uuid), '[]') FROM jsonb_array_elements_text({c}) v)"
MONTH = f"""
WITH shown AS MATERIALIZED (
  SELECT id, number, title, type, status, risk_class, planned_start, planned_end,
         service_ids::jsonb AS s_ids, ci_ids::jsonb AS c_ids, causes_downtime,
         status = ANY(:live) AS is_live
  FROM changes_change
  WHERE tenant_id = :t AND status = ANY(:shown) AND planned_start < :end AND planned_end > :start
),
claim AS MATERIALIZED (
  SELECT o.id, o.number, o.planned_start, o.planned_end, o.service_ids::jsonb AS s_ids,
         o.ci_ids::jsonb AS c_ids
  FROM changes_change o
  WHERE o.tenant_id = :t AND o.status = ANY(:live)
    AND o.planned_start < (SELECT max(planned_end) FROM shown WHERE is_live)
    AND o.planned_end > (SELECT min(planned_start) FROM shown WHERE is_live)
),
rel AS (SELECT * FROM unnest(CAST(:ra AS text[]), CAST(:rb AS text[])) AS r(a, b)),
pair AS (
  SELECT s.id AS sid, o.id AS oid, o.number, o.planned_start AS ostart, x.shared, y.tied
  FROM shown s
  JOIN claim o ON o.planned_start < s.planned_end AND o.planned_end > s.planned_start
    AND o.id <> s.id
  CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT v::uuid ORDER BY v::uuid) AS shared
    FROM jsonb_array_elements_text(s.s_ids) v WHERE o.s_ids ? v) x
  CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT ci COLLATE "C" ORDER BY ci COLLATE "C") AS tied
    FROM jsonb_array_elements_text(s.c_ids) m(v)
    JOIN jsonb_array_elements_text(o.c_ids) t(v)
      ON t.v = m.v OR EXISTS (SELECT 1 FROM rel WHERE rel.a = m.v AND rel.b = t.v)
    CROSS JOIN LATERAL (VALUES (m.v), (t.v)) AS both_(ci)) y
  WHERE s.is_live AND (x.shared IS NOT NULL OR y.tied IS NOT NULL)
),
found AS (
  SELECT sid, ostart AS k1, oid AS k2, 0 AS k3, json_build_object('kind', 'service',
    'changeId', oid, 'number', number, 'serviceIds', to_json(shared), 'ciIds', NULL,
    'freezeId', NULL, 'name', NULL) AS c
  FROM pair WHERE shared IS NOT NULL
  UNION ALL
  SELECT sid, ostart, oid, 1, json_build_object('kind', 'ci', 'changeId', oid,
    'number', number, 'serviceIds', NULL,
    'ciIds', (SELECT json_agg(v::uuid) FROM unnest(tied) v), 'freezeId', NULL, 'name', NULL)
  FROM pair WHERE tied IS NOT NULL
  UNION ALL
  SELECT s.id, 'infinity'::timestamptz, f.id, 2 + extract(epoch FROM f.starts_at),
    json_build_object('kind', 'freeze', 'changeId', NULL, 'number', NULL, 'serviceIds', NULL,
    'ciIds', NULL, 'freezeId', f.id, 'name', f.name)
  FROM shown s JOIN changes_freeze f ON f.tenant_id = :t
    AND f.starts_at < s.planned_end AND f.ends_at > s.planned_start
  WHERE s.is_live
  UNION ALL
  SELECT s.id, 'infinity'::timestamptz, NULL, 1e12, json_build_object(
    'kind', 'maintenance-window', 'changeId', NULL, 'number', NULL, 'serviceIds', NULL,
    'ciIds', NULL, 'freezeId', NULL, 'name', 'outside the DAP''s maintenance windows')
  FROM shown s WHERE s.is_live AND s.causes_downtime AND NOT EXISTS (
    SELECT 1 FROM unnest(CAST(:wa AS timestamptz[]), CAST(:wb AS timestamptz[])) w(a, b)
    WHERE w.a <= s.planned_start AND w.b >= s.planned_end)
),
grouped AS (SELECT sid, json_agg(c ORDER BY k1, k2, k3) AS cs FROM found GROUP BY sid)
SELECT s.planned_start, s.number, json_build_object('id', s.id, 'number', s.number,
  'title', s.title, 'type', s.type, 'status', s.status, 'riskClass', s.risk_class,
  'plannedStart', {TS.format(c="s.planned_start")}, 'plannedEnd', {TS.format(c="s.planned_end")},
  'serviceIds', {IDS.format(c="s.s_ids")}, 'ciIds', {IDS.format(c="s.c_ids")},
  'causesDowntime', s.causes_downtime, 'conflicts', coalesce(g.cs, '[]'),
  'tenant', CAST(:slug AS text))::text
FROM shown s LEFT JOIN grouped g ON g.sid = s.id
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--db", default="changes_bench")
    p.add_argument("--months", default="3,4,5", help="months from this one, comma-separated")
    args = p.parse_args()
    from changes_bench import env_for, supplier_readers

    env_for(args)
    from sqlalchemy import text
    from sqlmodel import select

    from changes import calendar, repository
    from changes.calendar_api import overview_json
    from cmdb import public as cmdb
    from core.db import reading_tenants, unit_of_work
    from core.tenancy import Tenant
    from services.dap import public as dap

    data = json.loads((HERE.parent / ".data" / "changes.json").read_text())
    tenants = [uuid.UUID(t["id"]) for t in data["tenants"]]
    with unit_of_work(None, read_only=True) as session:
        by_id = {t.id: t for t in session.exec(select(Tenant))}
    month_stmt = text(MONTH)
    live, shown = sorted(calendar.LIVE), sorted(calendar.SHOWN)

    def inputs(session: Any, start: datetime, end: datetime) -> dict[str, list[Any]]:
        claiming = repository.planned(session, start, end, calendar.LIVE)
        if not claiming:
            return {"ra": [], "rb": [], "wa": [], "wb": []}
        low = min(c.planned_start for c in claiming)
        high = max(c.planned_end for c in claiming)
        others = repository.planned(session, low, high, calendar.LIVE)
        spelled = {uuid.UUID(ci): ci for c in others for ci in c.ci_ids}
        ra: list[str] = []
        rb: list[str] = []
        for a, b in cmdb.paths_between(session, spelled):
            ra += [spelled[a], spelled[b]]
            rb += [spelled[b], spelled[a]]
        down = [c for c in claiming if c.causes_downtime]
        windows = (
            dap.maintenance_windows(
                session,
                start=min(c.planned_start for c in down),
                end=max(c.planned_end for c in down),
            )
            if down
            else []
        )
        return {"ra": ra, "rb": rb, "wa": [a for a, _ in windows], "wb": [b for _, b in windows]}

    def in_sql(start: datetime, end: datetime, spent: list[float]) -> list[str]:
        per_tenant = []
        with reading_tenants() as in_tenant:
            for tenant_id in tenants:
                session = in_tenant(tenant_id)
                params = inputs(session, start, end) | {
                    "t": tenant_id,
                    "live": live,
                    "shown": shown,
                    "start": start,
                    "end": end,
                    "slug": by_id[tenant_id].slug,
                }
                began = time.perf_counter()
                rows = session.execute(month_stmt, params).all()
                spent.append(time.perf_counter() - began)
                per_tenant.append(sorted((r[0], r[1], r[2]) for r in rows))
        return [entry for _, _, entry in heapq.merge(*per_tenant, key=lambda r: (r[0], r[1]))]

    def in_app(start: datetime, end: datetime) -> list[dict[str, Any]]:
        body = overview_json(calendar.calendars(supplier_readers(by_id, tenants), start, end)).body
        return list(json.loads(body)["items"])

    now = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    in_sql(now, now + timedelta(days=31), [])  # warm-up
    for k in (int(m) for m in args.months.split(",")):
        first = (now + timedelta(days=31 * k)).replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
        spent: list[float] = []
        began = time.perf_counter()
        texts = in_sql(first, last, spent)
        sql_total = time.perf_counter() - began
        began = time.perf_counter()
        want = in_app(first, last)
        app_total = time.perf_counter() - began
        same = [json.loads(t) for t in texts] == want
        print(
            json.dumps(
                {
                    "month": first.date().isoformat(),
                    "entries": len(texts),
                    "sameAnswer": same,
                    "statementsMs": round(sum(spent) * 1000),
                    "slowestTenantMs": round(max(spent) * 1000, 1),
                    "withInputsMs": round(sql_total * 1000),
                    "appMonthMs": round(app_total * 1000),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
