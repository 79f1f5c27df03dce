"""The KPI figures an improvement may aim to move: the headline number of each figure of the
period endpoints (`GET /kpis?period=`), named as that figure in kebab-case, and which way is
better. Pure: the KPI package computes the figures, this only reads them."""

from __future__ import annotations

import enum

from services.kpi.public import KpiFigures


class KpiFigure(enum.StrEnum):
    response = "response"
    restore_platform = "restore-platform"
    restore_application = "restore-application"
    availability = "availability"
    first_line_resolution = "first-line-resolution"
    reopened = "reopened"
    opened = "opened"
    backlog = "backlog"
    restore_time = "restore-time"


# Fewer reopened, opened and backlog tickets and a shorter restore time are better; for the
# shares and availability a higher figure is.
LOWER_IS_BETTER = frozenset(
    {KpiFigure.reopened, KpiFigure.opened, KpiFigure.backlog, KpiFigure.restore_time}
)


def value_of(figures: KpiFigures, name: KpiFigure) -> float | None:
    """The headline number of figure `name`: the percentage, the count, or the mean hours."""
    if name == KpiFigure.opened:
        return float(figures.opened.total)
    if name == KpiFigure.backlog:
        return float(figures.backlog.count)
    if name == KpiFigure.restore_time:
        return figures.restore_time.mean_hours
    figure = getattr(figures, name.value.replace("-", "_"))
    return None if figure.value is None else float(figure.value)


def reached(name: KpiFigure, value: float | None, target: float) -> bool | None:
    """Whether `value` is at least as good as `target`; None when nothing was counted."""
    if value is None:
        return None
    return value <= target if name in LOWER_IS_BETTER else value >= target
