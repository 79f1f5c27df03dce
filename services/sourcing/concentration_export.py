"""The concentration report as a table: CSV (RFC 4180, UTF-8, for machines and spreadsheets)
or an OpenDocument spreadsheet. Text a person typed (a supplier's or a CI's name) that a
spreadsheet would run as a formula gets a leading apostrophe, so opening the file is safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from services.sourcing.schemas import Concentration, ConcentrationOverview

Cell = str | int
TENANT_COLUMNS = (
    "supplier",
    "supplierId",
    "outsideEu",
    "criticalService",
    "ciId",
    "criticality",
    "via",
    "throughSupplierId",
    "catalogueServices",
)
OVERVIEW_COLUMNS = (
    "tenant",
    "tenantName",
    "supplier",
    "supplierId",
    "criticalServiceCount",
    "directCount",
    "criticalServices",
    "outsideEu",
)


def tenant_rows(report: Concentration) -> list[list[Cell]]:
    """One row per supplier and critical service; a supplier without any gets one row."""
    rows: list[list[Cell]] = []
    for s in report.suppliers:
        head: list[Cell] = [s.name, str(s.supplier_id), " ".join(s.outside_eu)]
        if not s.critical_services:
            rows.append([*head, "", "", "", "", "", ""])
        for d in s.critical_services:
            services = "; ".join(f"{c.code} {c.name}" for c in d.catalogue_services)
            through = str(d.through_supplier_id) if d.through_supplier_id else ""
            rows.append([*head, d.name, str(d.ci_id), d.criticality, d.via, through, services])
    return rows


def overview_rows(report: ConcentrationOverview) -> list[list[Cell]]:
    """One row per client and supplier."""
    return [
        [
            r.tenant,
            r.tenant_name,
            r.supplier,
            str(r.supplier_id),
            r.critical_service_count,
            r.direct_count,
            "; ".join(r.critical_services),
            " ".join(r.outside_eu),
        ]
        for r in report.items
    ]


def _safe(value: Cell) -> Cell:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(columns: Sequence[str], rows: list[list[Cell]]) -> bytes:
    """The table as RFC 4180 CSV in UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def as_ods(name: str, columns: Sequence[str], rows: list[list[Cell]]) -> bytes:
    """The table as one sheet of an OpenDocument spreadsheet; counts stay numbers."""
    # Imported here: odfpy costs every API process memory and is used only for this download.
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    sheet = Table(name=name)
    table: list[list[Cell]] = [list(columns), *rows]
    for values in table:
        row = TableRow()
        for value in values:
            if isinstance(value, int):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
                value = _safe(value)
            cell.addElement(P(text=str(value)))
            row.addElement(cell)
        sheet.addElement(row)
    doc.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
