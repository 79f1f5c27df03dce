"""The report as an OpenDocument spreadsheet (ODF, the open standard the clients ask for):
the same tables as the workbook. No chart: odfpy has no chart API, only the raw ODF
elements of an embedded chart object, so the PDF and the workbook carry the charts."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from services.reports.data import KPIS, ReportData
from services.reports.labels import Labels, Language, other_figures
from services.reports.register import backlog_rows, count_rows
from services.reports.xlsx_report import month_columns

Value = str | int | float | date | None


def render(data: ReportData, language: Language = "nl") -> bytes:
    """A spreadsheet with the tables Months, Counts and Improvements (named in the report's
    language)."""
    labels = Labels(language)
    doc = OpenDocumentSpreadsheet()
    months = Table(name=labels["months_sheet"])
    _row(months, month_columns(labels))
    for figures in data.months:
        row: list[Value] = [figures.month]
        for kpi in KPIS:
            row += [figures.pct(kpi), data.norms[kpi]]
        _row(months, [*row, figures.tickets_opened, figures.tickets_resolved, figures.backlog])
    doc.spreadsheet.addElement(months)
    doc.spreadsheet.addElement(_counts(data, labels))
    doc.spreadsheet.addElement(_register(data, labels))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _counts(data: ReportData, labels: Labels) -> Table:
    table = Table(name=labels["counts_sheet"])
    _row(table, [labels["tenant"], data.tenant_name])
    _row(table, [labels["month"], labels.month(data.month)])
    _row(table, [labels["agreement"], labels.agreement(data.agreement_version)])
    for title, key, counts in (
        (labels["by_type"], labels["type"], data.counts_by_type),
        (labels["by_priority"], labels["priority"], data.counts_by_priority),
    ):
        _row(table, [])
        _row(table, [title])
        _row(table, [key, labels["count"]])
        for name, count in counts.items():
            _row(table, [name, count])
    _row(table, [])
    _row(table, [labels["other_figures"]])
    for name, value in other_figures(data):
        _row(table, [labels[name], value])
    _row(table, [])
    _row(table, [labels["evidence"], data.evidence_hash])
    _row(table, [labels["generated"], labels.moment(data.generated_at)])
    return table


def _register(data: ReportData, labels: Labels) -> Table:
    table = Table(name=labels["improvements_sheet"])
    _row(table, [labels["register_as_of"]])
    for title, rows in (
        (labels["by_status"], count_rows(data, labels)),
        (labels["ordered_backlog"], backlog_rows(data, labels)),
    ):
        _row(table, [])
        _row(table, [title])
        for row in rows:
            _row(table, row)
    return table


def _row(table: Table, values: Sequence[Value]) -> None:
    row = TableRow()
    for value in values:
        row.addElement(_cell(value))
    table.addElement(row)


def _cell(value: Value) -> TableCell:
    """A typed cell: numbers and dates stay numbers and dates for the spreadsheet."""
    if value is None:
        return TableCell()
    if isinstance(value, bool | str):
        cell = TableCell(valuetype="string")
    elif isinstance(value, date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
    else:
        cell = TableCell(valuetype="float", value=value)
    cell.addElement(P(text=str(value)))
    return cell
