"""The Celery worker and beat entry point: `celery -A regie.worker ...`."""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging, worker_process_init

import changes.tasks
import cmdb.imports.tasks  # noqa: F401  (registers the import task)
import core.outbox.tasks  # noqa: F401  (registers the drain tasks)
import regie.tenant_exit.tasks  # noqa: F401  (registers the export task)
import services.improvement.tasks
import services.kpi.tasks  # registers the signing of closed months (an outbox handler)
import services.reports.tasks
import services.sla.tasks
import services.sourcing.tasks
import tickets.sla_warnings  # noqa: F401  (registers the breach warning handler)
from audit import tasks as audit_tasks
from core.jobs import celery_app, configure_celery
from core.observability import configure_logging, configure_tracing
from core.settings import get_settings
from regie import wiring

settings = get_settings()
configure_celery(settings)
celery_app.conf.beat_schedule = {
    "outbox-drain-all": {"task": "core.outbox.drain_all", "schedule": settings.outbox_poll_seconds},
    "audit-checkpoint-all": {
        "task": audit_tasks.CHECKPOINT_ALL,
        "schedule": settings.audit_checkpoint_seconds,
    },
    "audit-prune-all": {"task": audit_tasks.PRUNE_ALL, "schedule": 24 * 3600.0},
    "idempotency-prune-all": {"task": "core.idempotency.prune_all", "schedule": 3600.0},
    "sla-warn-breaches": {"task": services.sla.tasks.WARN_BREACHES, "schedule": 60.0},
    # Daily: each tenant's monthly report is made once, from the first working day on.
    "reports-send-monthly": {"task": services.reports.tasks.SEND_MONTHLY, "schedule": 24 * 3600.0},
    "sourcing-warn": {"task": services.sourcing.tasks.WARN, "schedule": 24 * 3600.0},
    "changes-flag-overdue": {"task": changes.tasks.FLAG_OVERDUE, "schedule": 300.0},
    "changes-announce-downtime": {"task": changes.tasks.ANNOUNCE_DOWNTIME, "schedule": 900.0},
    "changes-refresh-calendars": {"task": changes.tasks.REFRESH_ALL, "schedule": 600.0},
    # Daily: last month's response and restore figures below their norm are proposed once.
    "improvements-propose-from-kpis": {
        "task": services.improvement.tasks.PROPOSE_FROM_KPIS,
        "schedule": 24 * 3600.0,
    },
}
wiring.wire()
app = celery_app


@setup_logging.connect
def _logging(**_: Any) -> None:
    configure_logging(settings.log_level)


@worker_process_init.connect
def _tracing(**_: Any) -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    configure_tracing("regie-worker", settings.otlp_endpoint)
    CeleryInstrumentor().instrument()
