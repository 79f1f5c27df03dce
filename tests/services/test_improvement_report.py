"""The monthly report's section on the improvement register: the count per status and the
backlog in the product owner's order, in every format and both languages."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date

from odf import opendocument
from odf.table import Table, TableCell, TableRow
from openpyxl import load_workbook
from pypdf import PdfReader

from core.db import unit_of_work
from services.improvement.public import BacklogRow, RegisterState
from services.reports import csv_report, data, ods_report, pdf_report, xlsx_report
from tests.factories import auth
from tests.services.improvements import URL, Register
from tests.services.report_samples import sample

COUNTS = {
    "proposed": 1,
    "accepted": 0,
    "planned": 1,
    "in-progress": 0,
    "realised": 0,
    "evaluated": 2,
    "rejected": 0,
    "withdrawn": 0,
}
BACKLOG = [
    BacklogRow(
        1, "Self-service password reset", "planned", "first-line-resolution", 60, 75, "Desk"
    ),
    BacklogRow(2, "Faster search & <index>", "proposed", "response", None, 95.0, None),
]
DATA = dataclasses.replace(sample(), register=RegisterState(COUNTS, BACKLOG))


def test_the_pdf_has_the_register_in_dutch_and_english() -> None:
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf_report.render(DATA, "nl"))).pages
    )
    assert "Verbeterregister" in text and "geëvalueerd" in text
    assert "Self-service password reset" in text and "Faster search & <index>" in text
    assert "Opgelost door de eerste lijn (%)" in text and "gepland" in text
    assert text.index("Self-service") < text.index("Faster search")
    english = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf_report.render(DATA, "en"))).pages
    )
    assert (
        "Improvement register" in english and "The backlog in the product owner's order" in english
    )


def test_the_spreadsheets_have_a_register_table() -> None:
    book = load_workbook(io.BytesIO(xlsx_report.render(DATA, "en")))
    rows = [r for r in book["Improvements"].iter_rows(values_only=True) if r and r[0] is not None]
    assert ("evaluated", 2) in [r[:2] for r in rows]
    assert rows[-2][:4] == (
        1,
        "Self-service password reset",
        "planned",
        "Resolved by the first line (%)",
    )
    assert rows[-1][5] == 95.0 and rows[-1][6] is None
    doc = opendocument.load(io.BytesIO(ods_report.render(DATA, "nl")))
    [table] = [
        t for t in doc.spreadsheet.getElementsByType(Table)
        if t.getAttribute("name") == "Verbeterregister"
    ]  # fmt: skip
    texts = [
        [str(c) for c in row.getElementsByType(TableCell)]
        for row in table.getElementsByType(TableRow)
    ]
    assert ["geëvalueerd", "2"] in texts
    assert texts[-1][:3] == ["2", "Faster search & <index>", "voorgesteld"]


def test_the_csv_counts_the_items_per_status() -> None:
    rows = list(csv.DictReader(io.StringIO(csv_report.render_data(DATA).decode())))
    register = {r["indicator"]: r["value"] for r in rows if r["record"] == "improvement"}
    assert register == {f"status:{k}": str(v) for k, v in COUNTS.items()}
    dutch = csv_report.render(DATA, "nl").decode("utf-8-sig")
    assert "verbetering;2026-11;Status: evaluated;2" in dutch


def test_the_report_reads_the_tenants_register(client, desk, other) -> None:
    reg = Register(client, desk.tenant)
    first, second = reg.propose(title="First"), reg.propose(title="Second")
    reg.decide(first, "rejected")
    Register(client, other.tenant).propose(title="Not ours")
    third = reg.propose(title="Third")
    etag = reg.order().headers["ETag"]
    headers = auth(reg.owner, **{"If-Match": etag})
    order = {"itemIds": [third["id"], second["id"]]}
    assert client.put(f"{URL}/order", headers=headers, json=order).status_code == 200
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        report = data.report_data(session, month=date(2026, 11, 1))
    assert [row.title for row in report.register.backlog] == ["Third", "Second"]
    assert report.register.counts["proposed"] == 2 and report.register.counts["rejected"] == 1
    assert sum(report.register.counts.values()) == 3
