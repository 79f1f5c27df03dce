"""The report as an Excel workbook: the twelve months with a line chart of the four
percentages against their norms, a sheet of counts and one of the improvement register."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.reports.data import KPIS, ReportData
from services.reports.labels import Labels, Language, other_figures
from services.reports.register import backlog_rows, count_rows

PERCENT = "0.0"


def render(data: ReportData, language: Language = "nl") -> bytes:
    """A workbook with the sheets Months and Counts (named in the report's language)."""
    labels = Labels(language)
    book = Workbook()
    months = book.active
    assert months is not None  # a new workbook always has its first sheet
    months.title = labels["months_sheet"]
    _months_sheet(months, data, labels)
    _chart(months, labels)
    _counts_sheet(book.create_sheet(labels["counts_sheet"]), data, labels)
    _register_sheet(book.create_sheet(labels["improvements_sheet"]), data, labels)
    book.properties.title = f"{labels['title']} {data.tenant_name} {labels.month(data.month)}"
    book.properties.keywords = data.evidence_hash
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def month_columns(labels: Labels) -> list[str]:
    """The header of the months sheet: month, then each indicator and its norm, then counts."""
    header = [labels["month"]]
    for kpi in KPIS:
        header += [labels[kpi], f"{labels['norm']} {labels[kpi]}"]
    return [*header, labels["tickets_opened"], labels["tickets_resolved"], labels["backlog"]]


def _months_sheet(sheet: Worksheet, data: ReportData, labels: Labels) -> None:
    sheet.append(month_columns(labels))
    for figures in data.months:
        row: list[object] = [figures.month]
        for kpi in KPIS:
            row += [figures.pct(kpi), data.norms[kpi]]
        sheet.append([*row, figures.tickets_opened, figures.tickets_resolved, figures.backlog])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_cells in sheet.iter_rows(min_row=2):
        row_cells[0].number_format = "mmm yyyy"
        for cell in row_cells[1:9]:
            cell.number_format = PERCENT
    for index in range(1, 13):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "B2"


def _chart(sheet: Worksheet, labels: Labels) -> None:
    chart = LineChart()
    chart.title = labels["twelve_months"]
    chart.y_axis.title = "%"
    chart.x_axis.number_format = "mmm yy"
    chart.height, chart.width = 10, 24
    # Values in columns B, D, F, H; each norm right after its value, drawn dashed.
    for column in range(2, 10):
        chart.add_data(
            Reference(sheet, min_col=column, min_row=1, max_row=13), titles_from_data=True
        )
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=13))
    for index, series in enumerate(chart.series):
        series.smooth = False
        if index % 2:
            series.graphicalProperties.line.dashStyle = "dash"
    sheet.add_chart(chart, "A16")


def _counts_sheet(sheet: Worksheet, data: ReportData, labels: Labels) -> None:
    bold = Font(bold=True)
    sheet.append([labels["tenant"], data.tenant_name])
    sheet.append([labels["month"], labels.month(data.month)])
    sheet.append([labels["agreement"], labels.agreement(data.agreement_version)])
    sheet.append([])
    for title, key, counts in (
        (labels["by_type"], labels["type"], data.counts_by_type),
        (labels["by_priority"], labels["priority"], data.counts_by_priority),
    ):
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = bold
        sheet.append([key, labels["count"]])
        for name, count in counts.items():
            sheet.append([name, count])
        sheet.append([])
    sheet.append([labels["other_figures"]])
    sheet.cell(sheet.max_row, 1).font = bold
    for name, value in other_figures(data):
        sheet.append([labels[name], value])
        sheet.cell(sheet.max_row, 2).number_format = PERCENT
    sheet.append([])
    sheet.append([labels["evidence"], data.evidence_hash])
    sheet.append([labels["generated"], labels.moment(data.generated_at)])
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 24


def _register_sheet(sheet: Worksheet, data: ReportData, labels: Labels) -> None:
    bold = Font(bold=True)
    sheet.append([labels["register_as_of"]])
    for title, rows in (
        (labels["by_status"], count_rows(data, labels)),
        (labels["ordered_backlog"], backlog_rows(data, labels)),
    ):
        sheet.append([])
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = bold
        for row in rows:
            sheet.append(row)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 48
