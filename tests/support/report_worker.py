"""The test worker with the report figures connected to known figures, read slowly enough
that a test sees a job's progress move."""

from __future__ import annotations

import time
from datetime import date

from sqlmodel import Session

from services.reports import data
from services.reports.data import Figures
from tests.services.report_samples import figures
from tests.support.worker import app

__all__ = ["app"]


def slow_figures(session: Session, month: date) -> Figures:
    time.sleep(2.0)
    return figures(month)


data.FIGURES_SOURCE = slow_figures
