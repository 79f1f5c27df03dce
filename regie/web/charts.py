"""The twelve-month trend of each service level against its norm, drawn on the server as
inline SVG: no script, the same numbers also in a table, and the norm told apart by a dashed
line with a label, not by colour alone.

Coordinates are computed here; the template only writes them out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from regie.web.figures import AVAILABILITY, TWO, Formatter
from services.kpi.service import Levels

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 64, 14, 40
# (attribute of Levels, key, name, decimals of the API)
SERIES = (
    ("response", "response", "Response", TWO),
    ("restore_platform", "restore-platform", "Restore of the platform", TWO),
    ("restore_application", "restore-application", "Restore of the application", TWO),
    ("availability", "availability", "Availability", AVAILABILITY),
)


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def trend(months: list[tuple[date, Levels]], fmt: Formatter) -> dict[str, Any]:
    """Per service level, its chart (coordinates in a WIDTH x HEIGHT box) and, per month, the
    achieved figure and the norm as the page writes them."""
    first, last = months[0][0], months[-1][0]
    return {
        "from": fmt.month(first),
        "to": fmt.month(last),
        "width": WIDTH,
        "height": HEIGHT,
        "months": [
            {"name": fmt.month(m), "short": format_date(m, "LLL", locale=fmt.lang)}
            for m, _ in months
        ],
        "series": [
            _series(months, attr, key, name, digits, fmt) for attr, key, name, digits in SERIES
        ],
    }


def _series(
    months: list[tuple[date, Levels]],
    attr: str,
    key: str,
    name: str,
    digits: str,
    fmt: Formatter,
) -> dict[str, Any]:
    values = [getattr(f, attr).value for _, f in months]
    norms = [getattr(f, attr).norm for _, f in months]
    low = _bottom([v for v in values if v is not None] + norms)
    x = _xs(len(months))

    def y(value: float) -> float:
        return round(TOP + (100.0 - value) / (100.0 - low) * (HEIGHT - TOP - BOTTOM), 1)

    achieved = [Point(x[i], y(v)) if v is not None else None for i, v in enumerate(values)]
    norm = [Point(x[i], y(n)) for i, n in enumerate(norms)]
    return {
        "key": key,
        "name": name,
        "low": fmt.percent(low, "#,##0.#"),
        "high": fmt.percent(100.0, "#,##0"),
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "low_y": y(low),
        "high_y": y(100.0),
        "x_axis": [(x[i], HEIGHT - BOTTOM + 26) for i in range(len(months))],
        "lines": [_path(part) for part in _runs(achieved)],
        "dots": [p for p in achieved if p is not None],
        "norm": _path(norm),
        "norm_label": norm[-1],
        "rows": [
            {"value": fmt.percent(v, digits), "norm": fmt.percent(n, digits)}
            for v, n in zip(values, norms, strict=True)
        ],
        "latest": fmt.percent(values[-1], digits),
        "latest_norm": fmt.percent(norms[-1], digits),
        "shown": sum(v is not None for v in values),
    }


def _bottom(numbers: list[float]) -> float:
    """The lowest percentage on the axis: a little under the lowest figure, so a small miss of
    a high norm still shows, and never under 0."""
    lowest = min(numbers) if numbers else 0.0
    if lowest >= 99.0:
        return math.floor(lowest * 10 - 1) / 10
    step = 1.0 if lowest >= 90.0 else 10.0
    return max(0.0, math.floor((lowest - step / 2) / step) * step)


def _xs(count: int) -> list[float]:
    span = WIDTH - LEFT - RIGHT
    return [round(LEFT + span * i / max(count - 1, 1), 1) for i in range(count)]


def _runs(points: list[Point | None]) -> list[list[Point]]:
    """The unbroken stretches: a month without a figure leaves a gap, not a made-up line."""
    runs: list[list[Point]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def _path(points: list[Point]) -> str:
    return " ".join(f"{p.x},{p.y}" for p in points)
