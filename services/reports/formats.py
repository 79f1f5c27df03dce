"""The formats a report comes in: renderer, media type and file name of each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import import_module

from services.reports.data import ReportData
from services.reports.labels import Language


@dataclass(frozen=True)
class Format:
    module: str  # the renderer's module, imported on first use (see render)
    function: str
    media_type: str
    suffix: str

    def render(self, data: ReportData, language: Language) -> bytes:
        """The report in this format. The renderers' libraries (reportlab, openpyxl, odfpy)
        are imported only here: they would cost every API process memory, and reports are
        rendered by the worker."""
        renderer: Callable[[ReportData, Language], bytes]
        renderer = getattr(import_module(self.module), self.function)
        return renderer(data, language)

    def file_name(self, month: date) -> str:
        return f"regie-sla-{month.isoformat()[:7]}{self.suffix}"


FORMATS: dict[str, Format] = {
    "pdf": Format("services.reports.pdf_report", "render", "application/pdf", ".pdf"),
    "xlsx": Format(
        "services.reports.xlsx_report",
        "render",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
    "ods": Format(
        "services.reports.ods_report",
        "render",
        "application/vnd.oasis.opendocument.spreadsheet",
        ".ods",
    ),
    "csv": Format("services.reports.csv_report", "render", "text/csv; charset=utf-8", ".csv"),
    "csv-data": Format(
        "services.reports.csv_report",
        "render_data",
        "text/csv; charset=utf-8; header=present",
        "-data.csv",
    ),
}
