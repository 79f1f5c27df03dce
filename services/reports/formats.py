"""The formats a report comes in: renderer, media type and file name of each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from services.reports import csv_report, ods_report, pdf_report, xlsx_report
from services.reports.data import ReportData
from services.reports.labels import Language


@dataclass(frozen=True)
class Format:
    render: Callable[[ReportData, Language], bytes]
    media_type: str
    suffix: str

    def file_name(self, month: date) -> str:
        return f"regie-sla-{month.isoformat()[:7]}{self.suffix}"


FORMATS: dict[str, Format] = {
    "pdf": Format(pdf_report.render, "application/pdf", ".pdf"),
    "xlsx": Format(
        xlsx_report.render,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
    "ods": Format(ods_report.render, "application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    "csv": Format(csv_report.render, "text/csv; charset=utf-8", ".csv"),
    "csv-data": Format(
        csv_report.render_data, "text/csv; charset=utf-8; header=present", "-data.csv"
    ),
}
