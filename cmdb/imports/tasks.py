"""Celery task of CI imports: a thin wrapper around the run."""

from __future__ import annotations

import uuid

from cmdb.imports import run as runner
from cmdb.imports.service import RUN
from core.jobs import celery_app


@celery_app.task(name=RUN)
def run(tenant_id: str, import_id: str) -> str:
    """Run the import (idempotent: a done or failed import is left alone)."""
    return runner.run(uuid.UUID(tenant_id), uuid.UUID(import_id))
