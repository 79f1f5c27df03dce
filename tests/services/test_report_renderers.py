"""Each report format read back by its own library: the figures, the norms, the charts."""

from __future__ import annotations

import csv
import dataclasses
import io
import time
import zipfile
from datetime import date

from odf import opendocument
from odf.table import Table, TableCell, TableRow
from openpyxl import load_workbook
from openpyxl.chart import LineChart
from pypdf import PdfReader

from services.reports import csv_report, ods_report, pdf_report, xlsx_report
from tests.services.report_samples import sample

DATA = sample()  # November 2026; its figures in report_samples.month_figures


def test_the_spreadsheet_csv_opens_in_dutch_excel() -> None:
    raw = csv_report.render(DATA, "nl")
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only after a byte order mark
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Regel", "Maand", "Indicator", "Waarde", "Norm", "Gehaald"]
    november = [r for r in rows if r[1] == "2026-11" and r[2].startswith("Reactietijd")]
    assert november == [
        ["kpi", "2026-11", "Reactietijd binnen norm (%)", "98,25", "95,0", "gehaald"]
    ]
    application = [r for r in rows if r[1] == "2026-11" and "applicatie" in r[2]]
    assert application[0][3:] == ["91,75", "95,0", "niet gehaald"]
    assert ["aantal", "2026-11", "Soort: incident", "61", "", ""] in rows
    # Twelve months of four percentages and three counts, four other figures, seven counts.
    assert len(rows) == 1 + 12 * 7 + 4 + 7


def test_the_english_csv_uses_commas_and_decimal_points() -> None:
    rows = list(csv.reader(io.StringIO(csv_report.render(DATA, "en").decode("utf-8-sig"))))
    assert rows[0][:3] == ["Record", "Month", "Indicator"]
    assert ["kpi", "2026-11", "Availability (%)", "99.65", "99.4", "met"] in rows


def test_the_data_csv_is_the_same_for_machines_whatever_the_language() -> None:
    raw = csv_report.render_data(DATA, "nl")
    assert raw == csv_report.render_data(DATA, "en") and not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    by_key = {(r["month"], r["indicator"]): r for r in rows}
    assert by_key[("2026-11", "response")] == {
        "record": "kpi",
        "month": "2026-11",
        "indicator": "response",
        "value": "98.25",
        "norm": "95.0",
        "met": "true",
    }
    assert by_key[("2026-02", "restore_platform")]["value"] == ""  # nothing counted that month
    assert by_key[("2026-11", "priority:urgent")]["value"] == "3"
    assert float(by_key[("2026-11", "p90_restore_hours")]["value"]) == 14.5


def test_the_workbook_has_twelve_months_a_chart_and_the_counts() -> None:
    book = load_workbook(io.BytesIO(xlsx_report.render(DATA, "en")))
    assert book.sheetnames == ["Months", "Counts", "Improvements"]
    months = book["Months"]
    rows = list(months.iter_rows(values_only=True))
    assert rows[0][:3] == ("Month", "Response within target (%)", "Norm Response within target (%)")
    assert [r[0].date() for r in rows[1:]] == [m.month for m in DATA.months]
    assert rows[-1][1:9] == (98.25, 95.0, 96.25, 95.0, 91.75, 95.0, 99.65, 99.4)
    assert rows[-1][9:] == (111, 106, 31)
    assert rows[3][3] is None  # February: nothing counted for platform restore
    [chart] = months._charts  # openpyxl reads charts back, though not publicly
    assert isinstance(chart, LineChart) and len(chart.series) == 8
    with zipfile.ZipFile(io.BytesIO(xlsx_report.render(DATA, "en"))) as package:
        [part] = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        assert "<lineChart>" in package.read(part).decode()
    counts = {r[0]: r[1] for r in book["Counts"].iter_rows(values_only=True) if r and r[0]}
    assert counts["incident"] == 61 and counts["urgent"] == 3 and counts["Reopened (%)"] == 3.75
    assert counts["Evidence hash"] == DATA.evidence_hash


def test_the_open_document_spreadsheet_has_the_same_tables() -> None:
    doc = opendocument.load(io.BytesIO(ods_report.render(DATA, "nl")))
    tables = {t.getAttribute("name"): t for t in doc.spreadsheet.getElementsByType(Table)}
    assert list(tables) == ["Maanden", "Aantallen", "Verbeterregister"]
    rows = [
        [_cell_value(c) for c in row.getElementsByType(TableCell)]
        for row in tables["Maanden"].getElementsByType(TableRow)
    ]
    assert rows[0][0] == "Maand" and len(rows) == 13
    assert rows[-1][0] == "2026-11-01"
    assert rows[-1][1:] == [98.25, 95.0, 96.25, 95.0, 91.75, 95.0, 99.65, 99.4, 111, 106, 31]
    counts = [
        [_cell_value(c) for c in row.getElementsByType(TableCell)]
        for row in tables["Aantallen"].getElementsByType(TableRow)
    ]
    assert ["incident", 61] in counts and ["Bewijs-hash", DATA.evidence_hash] in counts


def _cell_value(cell: TableCell) -> object:
    kind = cell.getAttribute("valuetype")
    if kind == "float":
        number = float(cell.getAttribute("value"))
        return (
            int(number) if number.is_integer() and "." not in cell.getAttribute("value") else number
        )
    if kind == "date":
        return cell.getAttribute("datevalue")
    return str(cell) if kind else None


def test_the_pdf_shows_the_figures_against_the_norms_with_charts() -> None:
    raw = pdf_report.render(DATA, "nl")
    reader = PdfReader(io.BytesIO(raw))
    first = reader.pages[0].extract_text()
    assert "Servicerapportage november 2026" in first and "Gemeente Voorbeeldstad" in first
    assert "2 (2026-03-01)" in first
    assert "Reactietijd binnen norm (%)" in first and "98,2" in first and "gehaald" in first
    assert "niet gehaald" in first  # application restore: 91,8 against 95,0
    assert "De afgelopen twaalf maanden" in first and "nov 26" in first  # chart axis labels
    assert f"Bewijs-hash: {DATA.evidence_hash}" in first
    assert "Gemaakt op: 1 december 2026 07:30" in first  # 06:30 UTC, Amsterdam time
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Meldingen per soort" in text or "Soort" in text
    assert "incident" in text and "Heropend (%)" in text
    assert reader.metadata is not None and reader.metadata.title.startswith("Servicerapportage")


def test_the_english_pdf_speaks_english() -> None:
    first = PdfReader(io.BytesIO(pdf_report.render(DATA, "en"))).pages[0].extract_text()
    assert "Service level report November 2026" in first and "not met" in first
    assert "Generated at: 1 December 2026 07:30" in first


def test_a_realistic_pdf_is_made_well_within_five_seconds() -> None:
    started = time.perf_counter()
    for month in (date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)):
        pdf_report.render(sample(month), "nl")
    assert (time.perf_counter() - started) / 3 < 5.0


def test_a_tenant_without_any_figure_yet_still_gets_every_format() -> None:
    empty = [
        dataclasses.replace(
            m,
            response_pct=None,
            restore_platform_pct=None,
            restore_application_pct=None,
            availability_pct=None,
        )
        for m in DATA.months
    ]
    data = dataclasses.replace(DATA, months=empty)
    first = PdfReader(io.BytesIO(pdf_report.render(data, "en"))).pages[0].extract_text()
    assert "Service level report November 2026" in first and "The last twelve months" in first
    assert load_workbook(io.BytesIO(xlsx_report.render(data, "en"))).sheetnames
    assert ods_report.render(data, "en").startswith(b"PK")
    assert csv_report.render_data(data).startswith(b"record,")
