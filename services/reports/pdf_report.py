"""The report as PDF: header, the month's figures against the norms, a chart of the last
twelve months for each percentage with its norm line, the counts, the improvement register,
and a footer carrying the evidence hash and the moment it was made."""

from __future__ import annotations

import io
import math
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from services.reports.data import KPIS, ReportData
from services.reports.labels import Labels, Language, other_figures
from services.reports.register import Cell, backlog_rows, count_rows

BLUE, GREY = colors.HexColor("#1f4e79"), colors.HexColor("#7f7f7f")
GOOD, BAD = colors.HexColor("#1e7b34"), colors.HexColor("#b00020")
GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
        ("GRID", (0, 0), (-1, -1), 0.4, GREY),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


def render(data: ReportData, language: Language = "nl") -> bytes:
    """An A4 PDF in the report's language."""
    labels = Labels(language)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=20 * mm,
        title=f"{labels['title']} {data.tenant_name} {labels.month(data.month)}",
        author="Regie",
        subject=labels["subtitle"],
        keywords=data.evidence_hash,
    )

    def footer(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        _footer(canvas, data, labels)

    doc.build(_story(data, labels), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _story(data: ReportData, labels: Labels) -> list[Flowable]:
    styles = getSampleStyleSheet()
    h1 = ParagraphStyle("h1", parent=styles["Title"], textColor=BLUE, alignment=0)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], textColor=BLUE, keepWithNext=1)
    story: list[Flowable] = [
        Paragraph(f"{labels['title']} {labels.month(data.month)}", h1),
        Paragraph(labels["subtitle"], styles["Normal"]),
        Spacer(1, 4 * mm),
        _header(data, labels),
        Spacer(1, 5 * mm),
        _figures(data, labels),
        Paragraph(labels["twelve_months"], h2),
        _charts(data, labels),
        Paragraph(labels["counts"], h2),
        _counts(data, labels),
        Paragraph(labels["improvements"], h2),
        Paragraph(labels["register_as_of"], styles["Normal"]),
        Spacer(1, 2 * mm),
        *_register(data, labels, styles["BodyText"]),
    ]
    return story


def _header(data: ReportData, labels: Labels) -> Table:
    rows = [
        [labels["tenant"], data.tenant_name],
        [labels["month"], labels.month(data.month)],
        [labels["agreement"], labels.agreement(data.agreement_version)],
    ]
    table = Table(rows, colWidths=[55 * mm, 110 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold")]))
    return table


def _figures(data: ReportData, labels: Labels) -> Table:
    """The report month's four percentages against their norms, met or not."""
    rows: list[list[str]] = [[labels["kpi"], labels["value"], labels["norm"], labels["met"]]]
    style = TableStyle(GRID.getCommands())
    current = data.current
    for index, kpi in enumerate(KPIS, start=1):
        value, norm = current.pct(kpi), data.norms[kpi]
        rows.append(
            [labels[kpi], labels.number(value), labels.number(norm), labels.met(value, norm)]
        )
        if value is not None:
            style.add("TEXTCOLOR", (3, index), (3, index), GOOD if value >= norm else BAD)
    for name in ("tickets_opened", "tickets_resolved", "backlog"):
        rows.append([labels[name], str(getattr(current, name)), "", ""])
    table = Table(rows, colWidths=[85 * mm, 25 * mm, 25 * mm, 30 * mm], hAlign="LEFT")
    table.setStyle(style)
    return table


def _charts(data: ReportData, labels: Labels) -> Table:
    drawings = [_chart(data, labels, kpi) for kpi in KPIS]
    return Table([drawings[:2], drawings[2:]], hAlign="LEFT")


def _chart(data: ReportData, labels: Labels, kpi: str) -> Drawing:
    """One percentage over twelve months (solid) and its norm (dashed)."""
    values = [m.pct(kpi) for m in data.months]
    norm = data.norms[kpi]
    drawing = Drawing(82 * mm, 62 * mm)
    drawing.add(String(4, 62 * mm - 10, labels[kpi], fontName="Helvetica-Bold", fontSize=8))
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 28, 34, 82 * mm - 36, 62 * mm - 56
    known = [v for v in values if v is not None]
    # A line with no point at all cannot be drawn (a tenant without figures yet): norm only.
    chart.data = ([values] if known else []) + [[norm] * len(values)]
    chart.categoryAxis.categoryNames = [labels.short_month(m.month) for m in data.months]
    chart.categoryAxis.labels.angle, chart.categoryAxis.labels.fontSize = 45, 6
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = max(0.0, math.floor(min([*known, norm]) - 1))
    chart.valueAxis.valueMax = 100.0
    chart.valueAxis.labels.fontSize = 7
    value, norm_line = chart.lines[0], chart.lines[len(chart.data) - 1]
    value.strokeColor, value.strokeWidth = BLUE, 1.5
    norm_line.strokeColor, norm_line.strokeDashArray = BAD, (3, 2)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y, legend.fontSize, legend.alignment = 30, 6, 7, "right"
    legend.columnMaximum, legend.dx, legend.dy = 1, 8, 2
    legend.colorNamePairs = [(BLUE, labels["value"]), (BAD, labels["norm"])]
    drawing.add(legend)
    return drawing


def _counts(data: ReportData, labels: Labels) -> Table:
    def block(title: str, counts: dict[str, int]) -> Table:
        rows = [[title, labels["count"]], *([k, str(v)] for k, v in counts.items())]
        table = Table(rows, colWidths=[50 * mm, 20 * mm])
        table.setStyle(GRID)
        return table

    extra = [[labels["other_figures"], labels["value"]]]
    extra += [[labels[name], labels.number(value)] for name, value in other_figures(data)]
    others = Table(extra, colWidths=[65 * mm, 20 * mm])
    others.setStyle(GRID)
    by_type = block(labels["type"], data.counts_by_type)
    by_priority = block(labels["priority"], data.counts_by_priority)
    layout = Table([[by_type, by_priority], [others, ""]], hAlign="LEFT")
    layout.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("SPAN", (0, 1), (1, 1))]))
    return layout


def _register(data: ReportData, labels: Labels, body: ParagraphStyle) -> list[Flowable]:
    """The count per status, and the ordered backlog with its titles wrapped."""
    counts = Table(_texts(count_rows(data, labels), labels), colWidths=[50 * mm, 20 * mm])
    counts.setStyle(GRID)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    rows = _texts(backlog_rows(data, labels), labels)
    for row in rows[1:]:
        row[1] = Paragraph(escape(str(row[1])), small)
        row[6] = Paragraph(escape(str(row[6])), small)
    widths = [12 * mm, 52 * mm, 22 * mm, 30 * mm, 15 * mm, 15 * mm, 28 * mm]
    backlog = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1)
    backlog.setStyle(GRID)
    heading = Paragraph(labels["ordered_backlog"], body)
    return [counts, Spacer(1, 3 * mm), heading, backlog]


def _texts(rows: list[list[Cell]], labels: Labels) -> list[list[Any]]:
    def text(cell: Cell) -> str:
        if isinstance(cell, float):
            return labels.number(cell)
        return "" if cell is None else str(cell)

    return [[text(cell) for cell in row] for row in rows]


def _footer(canvas: Canvas, data: ReportData, labels: Labels) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.setFillColor(GREY)
    canvas.drawString(18 * mm, 12 * mm, f"{labels['evidence']}: {data.evidence_hash}")
    canvas.drawString(18 * mm, 8 * mm, f"{labels['generated']}: {labels.moment(data.generated_at)}")
    canvas.drawRightString(A4[0] - 18 * mm, 8 * mm, f"{labels['page']} {canvas.getPageNumber()}")
    canvas.restoreState()
