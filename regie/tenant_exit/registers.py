"""The main registers for people: one CSV each and one spreadsheet (ODS) with a sheet each.

The spreadsheet is written as it streams (content.xml row by row), so a register of any
size never sits in memory whole.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import Connection, Table

from core.db import metadata
from regie.tenant_exit import manifest
from regie.tenant_exit.tables import is_file, json_value

REGISTERS = {
    "tickets": "tickets_ticket",
    "problems": "tickets_problem",
    "changes": "changes_change",
    "configuration-items": "cmdb_ci",
    "improvements": "services_improvement_item",
}
ODS = "registers/registers.ods"
Stream = Callable[[Connection, Table, uuid.UUID], Iterator[dict[str, Any]]]

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
_TAIL = "</office:spreadsheet></office:body></office:document-content>"
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
    ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name != "tenant_id" and not is_file(c)]


def cell(value: Any) -> str:
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write(conn: Connection, tenant_id: uuid.UUID, out: Path, stream: Stream) -> dict[str, Any]:
    """Write the CSVs and the spreadsheet; their manifest entries."""
    files: dict[str, Any] = {}
    (out / ODS).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out / ODS, "w", zipfile.ZIP_DEFLATED) as ods:
        ods.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        ods.writestr("META-INF/manifest.xml", _MANIFEST)
        with ods.open("content.xml", "w", force_zip64=True) as content:
            content.write(_HEAD.encode())
            for name, table_name in REGISTERS.items():
                table = metadata.tables.get(table_name)
                if table is not None:
                    files.update(_register(conn, tenant_id, out, stream, name, table, content))
            content.write(_TAIL.encode())
    digest, size, _lines = manifest.sha256_file(out / ODS)
    files[ODS] = {"sha256": digest, "bytes": size}
    return files


def _register(
    conn: Connection,
    tenant_id: uuid.UUID,
    out: Path,
    stream: Stream,
    name: str,
    table: Table,
    content: Any,
) -> dict[str, Any]:
    path = f"registers/{name}.csv"
    f = manifest.HashedFile(out, path)
    names = columns(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def emit(values: list[str]) -> None:
        writer.writerow(values)
        f.write(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
        content.write(_row(values).encode())

    content.write(f"<table:table table:name={quoteattr(name)}>".encode())
    emit(names)
    for row in stream(conn, table, tenant_id):
        emit([cell(row[n]) for n in names])
    content.write(b"</table:table>")
    return {path: f.close()}


def _row(values: list[str]) -> str:
    cells = "".join(
        '<table:table-cell office:value-type="string"><text:p>'
        + escape(_printable(v))
        + "</text:p></table:table-cell>"
        for v in values
    )
    return f"<table:table-row>{cells}</table:table-row>"


def _printable(value: str) -> str:
    """XML 1.0 admits no control characters but tab, newline and carriage return."""
    return "".join(c for c in value if c >= " " or c in "\t\n\r")
