"""The in-process parts of the service level benchmark: the API key, EXPLAIN (ANALYZE,
BUFFERS) of the month's KPI statements, the KPI computation timed in the process, and the
report renderer. Imported by sla_bench.py after the environment points at the bench
database (settings are read once)."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import date

FIGURES = "figures"


def issue_key(tenant_id: uuid.UUID) -> str:
    """An API key of the tenant with kpi:read, reports:request and reports:read."""
    import services.kpi.permissions as kpi
    import services.reports.permissions as reports
    from core.db import unit_of_work
    from core.identity.service import create_api_key

    with unit_of_work(tenant_id) as session:
        _key, token = create_api_key(
            session,
            name="service level benchmark",
            permissions=[kpi.READ, reports.REQUEST, reports.READ],
        )
    return token


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "runs": len(ordered),
        "min_ms": round(ordered[0] * 1000, 1),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def compute_timed(tenant_id: uuid.UUID, period: str, runs: int) -> dict:
    """services.kpi.service.compute in this process (no HTTP, no serialisation)."""
    from core.db import unit_of_work
    from services.kpi import figures, service

    parsed = figures.parse_period(period)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with unit_of_work(tenant_id, read_only=True) as session:
            service.compute(session, parsed)
        samples.append(time.perf_counter() - t0)
    return _ms(samples)


def explain_month(tenant_id: uuid.UUID, period: str) -> list[dict]:
    """Every SELECT that compute() sends for `period`, captured from the engine and run
    again with EXPLAIN (ANALYZE, BUFFERS) in the tenant's RLS scope, as the app role."""
    from sqlalchemy import event

    from core.db import get_engine, unit_of_work
    from services.kpi import figures, service

    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    engine = get_engine()
    parsed = figures.parse_period(period)
    with unit_of_work(tenant_id, read_only=True) as session:
        service.compute(session, parsed)  # warm the cache the way a repeated request would
        event.listen(engine, "before_cursor_execute", capture)
        try:
            service.compute(session, parsed)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        plans = []
        for statement, parameters in captured:
            raw = session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            )
            lines = [row[0] for row in raw]
            plans.append(_plan_summary(statement, lines))
    return plans


def _plan_summary(statement: str, lines: list[str]) -> dict:
    def number(prefix: str) -> float | None:
        for line in lines:
            if line.strip().startswith(prefix):
                return float(line.split(":")[1].strip().split()[0])
        return None

    first = " ".join(statement.split())
    return {
        "statement": first[:400],
        "execution_ms": number("Execution Time"),
        "planning_ms": number("Planning Time"),
        "rows": _top_rows(lines),
        "plan": lines,
    }


def _top_rows(lines: list[str]) -> int | None:
    for line in lines:
        if "actual time=" in line:
            part = line.split("actual time=")[1]
            return int(part.split("rows=")[1].split()[0])
    return None


def twelve_computes(tenant_id: uuid.UUID, month: date, runs: int) -> dict:
    """What the report's figures would cost from the KPI package: compute() for each of the
    twelve months up to `month`, in one read-only unit of work."""
    from core.db import unit_of_work
    from services.kpi import figures, service
    from services.reports.data import last_twelve

    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with unit_of_work(tenant_id, read_only=True) as session:
            for first in last_twelve(month):
                service.compute(session, figures.month_period(first))
        samples.append(time.perf_counter() - t0)
    return _ms(samples)


def report_parts(tenant_id: uuid.UUID, month: date, runs: int) -> dict:
    """The report's figures (report_data) and the PDF renderer, timed apart."""
    from core.db import unit_of_work
    from services.reports import data, pdf_report

    result: dict = {"month": month.isoformat()[:7]}
    source = getattr(data, "FIGURES_SOURCE", None)
    if source is None:
        # This commit has no KPI figures source connected: render a sample of the same shape.
        from tests.services.report_samples import sample

        report = sample(month)
        result[FIGURES] = "sample (no FIGURES_SOURCE in this commit)"
        result["twelve_month_computes"] = twelve_computes(tenant_id, month, runs)
    else:
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            with unit_of_work(tenant_id, read_only=True) as session:
                report = data.report_data(session, month=month)
            samples.append(time.perf_counter() - t0)
        result[FIGURES] = _ms(samples)
    renders, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        size = len(pdf_report.render(report, "nl"))
        renders.append(time.perf_counter() - t0)
    result["pdf_render"] = _ms(renders)
    result["pdf_bytes"] = size
    return result
