"""The report as CSV, in two forms.

`render` is for people opening it in a spreadsheet: Excel only reads UTF-8 correctly when the
file starts with a byte order mark, and Dutch Excel splits on ';' and reads '12,5' as a
number, so Dutch files use ';' and a decimal comma, English ones ',' and a decimal point.
`render_data` is for machines: RFC 4180 (',' separator, CRLF), UTF-8 without a mark, '.' as
the decimal point, ISO months and English keys, the same whatever the report language.
Both hold one row per month per indicator with its norm, then the counts, then the count of
improvements per status in the register (its backlog is in the other formats).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from babel.numbers import format_decimal

from services.reports.data import KPIS, ReportData
from services.reports.labels import Labels, Language, other_figures

Row = tuple[str, str, str, float | int | None, float | None, bool | None]
COLUMNS = ("record", "month", "indicator", "value", "norm", "met")


def rows(data: ReportData) -> Iterator[Row]:
    """Every figure as (record, month, indicator, value, norm, met), language-independent."""
    for figures in data.months:
        month = figures.month.isoformat()[:7]
        for kpi in KPIS:
            value, norm = figures.pct(kpi), data.norms[kpi]
            yield "kpi", month, kpi, value, norm, None if value is None else value >= norm
        for name in ("tickets_opened", "tickets_resolved", "backlog"):
            yield "kpi", month, name, getattr(figures, name), None, None
    month = data.month.isoformat()[:7]
    for name, value in other_figures(data):
        yield "kpi", month, name, value, None, None
    for key, count in data.counts_by_type.items():
        yield "count", month, f"type:{key}", count, None, None
    for key, count in data.counts_by_priority.items():
        yield "count", month, f"priority:{key}", count, None, None
    for status, count in data.register.counts.items():
        yield "improvement", month, f"status:{status}", count, None, None


def render(data: ReportData, language: Language = "nl") -> bytes:
    """For spreadsheets: BOM, the language's separator and decimal mark, its words."""
    labels = Labels(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if language == "nl" else ",", lineterminator="\r\n")
    writer.writerow([labels[c] for c in ("record", "month", "kpi", "value", "norm", "met")])
    for record, month, indicator, value, norm, met in rows(data):
        writer.writerow(
            [
                labels[f"{record}_record"],
                month,
                _indicator(labels, indicator),
                _number(labels, value),
                _number(labels, norm),
                "" if met is None else labels["yes" if met else "no"],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render_data(data: ReportData, language: Language = "nl") -> bytes:
    """For machines: RFC 4180, '.' decimals, English keys; `language` changes nothing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record, month, indicator, value, norm, met in rows(data):
        writer.writerow(
            [
                record,
                month,
                indicator,
                "" if value is None else value,
                "" if norm is None else norm,
                "" if met is None else str(met).lower(),
            ]
        )
    return out.getvalue().encode("utf-8")


def _indicator(labels: Labels, indicator: str) -> str:
    kind, _, key = indicator.partition(":")
    if key:
        return f"{labels[kind]}: {key}"
    return labels[indicator]


def _number(labels: Labels, value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    # Unrounded, without thousands separators (some spreadsheets read "1.234,5" as text).
    return format_decimal(value, format="0.0##", locale=labels.locale)
