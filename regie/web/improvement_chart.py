"""An evaluated improvement's KPI before and after, drawn on the server as an SVG bar chart
with the baseline and target as lines, and the same figures for the table beside it.

Pure: it takes the stored evaluation and the reader's language and returns plain values, so
the template only places them. Bars are labelled with their numbers, so nothing depends on
colour alone."""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal

from services.improvement.models import Evaluation

WIDTH, HEIGHT = 320, 200
TOP, BOTTOM, LEFT = 24, 36, 8  # room for the value above a bar and the period below it
BAR = 80
DASH = "\u2013"  # nothing was counted


@dataclass(frozen=True)
class Bar:
    label: str  # the period, as evaluated
    value: str  # formatted in the reader's language, or a dash when nothing was counted
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Line:
    name: str  # an English message: Baseline or Target
    value: str
    y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    lines: list[Line]


def number(value: float | None, lang: str) -> str:
    """A figure as the reader writes numbers, to two decimals at most."""
    return DASH if value is None else str(format_decimal(round(value, 2), locale=lang))


def chart(row: Evaluation, lang: str) -> Chart:
    """The bars of the before and after period on one scale with the baseline and target."""
    known = [v for v in (row.before_value, row.after_value, row.baseline, row.target) if v]
    top = max([abs(v) for v in known] or [1.0]) * 1.1
    plot = HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + plot - plot * max(value, 0.0) / top, 1)

    bars = []
    for n, (period, value) in enumerate(
        ((row.before_period, row.before_value), (row.after_period, row.after_value))
    ):
        y = y_of(value or 0.0)
        x = LEFT + 40 + n * (BAR + 80)
        bars.append(Bar(period, number(value, lang), x, y, round(TOP + plot - y, 1)))
    lines = [
        Line(name, number(value, lang), y_of(value))
        for name, value in (("Baseline", row.baseline), ("Target", row.target))
        if value is not None
    ]
    return Chart(WIDTH, HEIGHT, bars, lines)
