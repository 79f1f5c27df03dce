"""The change KPIs of a period from the facts the changes domain delivers: success rate,
share of emergencies, changes that caused incidents and the mean lead time, each with its
evidence; frozen with a month closed after they were counted, absent (byte for byte as
served) from a month closed before; and in the monthly report."""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from odf import opendocument
from odf.table import Table, TableCell
from openpyxl import load_workbook
from pypdf import PdfReader

from core.db import unit_of_work
from services.kpi import change_figures
from services.kpi import permissions as kpi
from services.kpi.change_figures import ChangeFact
from services.reports import csv_report, data, ods_report, pdf_report, xlsx_report
from tests.factories import auth, make_token
from tests.services.report_samples import sample

INCIDENT = uuid.UUID("00000000-0000-4000-8000-000000000001")
CLOSER = [kpi.READ, kpi.CLOSE]


def _at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _fact(number: str, **kw: object) -> ChangeFact:
    values: dict[str, object] = {
        "change_id": uuid.uuid5(uuid.NAMESPACE_URL, number),
        "number": number,
        "type": "normal",
        "outcome": "succeeded",
        "requested_at": _at(1),
        "ended_at": _at(3),
        "implemented_at": _at(3),
        "incident_ids": (),
    }
    return ChangeFact(**{**values, **kw})  # type: ignore[arg-type]


NOVEMBER = [
    _fact(
        "SHN-C000004", outcome="failed", requested_at=_at(10), ended_at=_at(20), implemented_at=None
    ),
    _fact("SHN-C000001"),  # 48 hours
    _fact(
        "SHN-C000002",
        type="emergency",
        requested_at=_at(10, 8),
        ended_at=_at(10, 12),
        implemented_at=_at(10, 12),
        incident_ids=(INCIDENT,),
    ),  # 4 hours
    _fact(
        "SHN-C000003",
        outcome="rolled-back",
        requested_at=_at(5),
        ended_at=_at(12),
        implemented_at=_at(12),
    ),  # 168 hours
    _fact("SHN-C000009", ended_at=_at(2, month=12), implemented_at=_at(2, month=12)),
]


class Source:
    """Stands in for the changes domain: these facts, those that ended in the period."""

    def __init__(self) -> None:
        self.facts = list(NOVEMBER)

    def __call__(self, session, start: datetime, end: datetime) -> list[ChangeFact]:
        return [f for f in self.facts if start <= f.ended_at < end]


@pytest.fixture
def source(app) -> Iterator[Source]:
    fake = Source()
    saved = list(change_figures._SOURCE)
    change_figures.register_source(fake)
    yield fake
    change_figures._SOURCE[:] = saved


def _figures(client, token: str, period: str = "2026-11"):
    r = client.get("/api/v1/kpis", params={"period": period}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r


def test_the_change_figures_of_a_month_with_their_evidence(client, desk, source) -> None:
    viewer = make_token(desk.tenant, [kpi.READ])
    changes = _figures(client, viewer).json()["changes"]
    evidence = "/api/v1/kpis/change-evidence?period=2026-11&kpi="
    assert changes == {
        "successRate": {
            "value": 50.0,
            "part": 2,
            "whole": 4,
            "evidence": evidence + "change-success-rate",
        },
        "emergency": {
            "value": 25.0,
            "part": 1,
            "whole": 4,
            "evidence": evidence + "emergency-changes",
        },
        "causedIncidents": {
            "value": 25.0,
            "part": 1,
            "whole": 4,
            "evidence": evidence + "changes-causing-incidents",
        },
        "leadTime": {"count": 3, "meanHours": 73.33, "evidence": evidence + "change-lead-time"},
    }
    r = client.get(changes["successRate"]["evidence"], headers=auth(viewer))
    assert r.status_code == 200, r.text
    rows = r.json()["items"]
    assert [(i["number"], i["outcome"], i["counted"]) for i in rows] == [
        ("SHN-C000001", "succeeded", True),
        ("SHN-C000002", "succeeded", True),
        ("SHN-C000003", "rolled-back", False),
        ("SHN-C000004", "failed", False),
    ]
    lead = client.get(changes["leadTime"]["evidence"], headers=auth(viewer)).json()["items"]
    assert [(i["number"], i["leadTimeHours"]) for i in lead] == [
        ("SHN-C000001", 48.0),
        ("SHN-C000002", 4.0),
        ("SHN-C000003", 168.0),
    ]
    caused = client.get(changes["causedIncidents"]["evidence"], headers=auth(viewer)).json()
    assert [i["incidentIds"] for i in caused["items"] if i["counted"]] == [[str(INCIDENT)]]
    # The quarter counts December's change too; a month without changes has no shares.
    assert _figures(client, viewer, "2026-Q4").json()["changes"]["successRate"]["whole"] == 5
    assert _figures(client, viewer, "2026-10").json()["changes"]["successRate"] == {
        "value": None,
        "part": 0,
        "whole": 0,
        "evidence": evidence.replace("2026-11", "2026-10") + "change-success-rate",
    }
    bad = client.get(
        "/api/v1/kpis/change-evidence",
        params={"period": "2026-13", "kpi": "nonsense"},
        headers=auth(viewer),
    )
    assert bad.status_code == 400
    assert {p["name"] for p in bad.json()["invalidParams"]} >= {"kpi"}


def test_a_month_closed_before_change_figures_stays_byte_for_byte(client, desk, source) -> None:
    viewer = make_token(desk.tenant, [kpi.READ])
    change_figures._SOURCE[:] = []  # the month is closed before change figures existed
    before = _figures(client, viewer)
    assert "changes" not in before.json()
    closed = client.post(
        "/api/v1/kpis/closed-months",
        headers=auth(make_token(desk.tenant, CLOSER)),
        json={"month": "2026-11"},
    )
    assert closed.status_code == 201, closed.text
    change_figures.register_source(source)  # and now they are counted
    after = _figures(client, viewer)
    assert after.content == before.content
    comparison = client.get(
        "/api/v1/kpis/closed-months/2026-11/comparison", headers=auth(viewer)
    ).json()
    assert comparison["figuresEqual"] is True and comparison["differences"] == []
    # The month's report stays without change figures; open months have them.
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        assert data.kpi_figures(session, date(2026, 11, 1)).changes is None
        assert data.kpi_figures(session, date(2026, 10, 1)).changes is not None


def test_a_month_closed_with_change_figures_freezes_them(client, desk, source) -> None:
    viewer = make_token(desk.tenant, [kpi.READ])
    before = _figures(client, viewer)
    r = client.post(
        "/api/v1/kpis/closed-months",
        headers=auth(make_token(desk.tenant, CLOSER)),
        json={"month": "2026-11"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["figures"]["changes"]["successRate"]["value"] == 50.0
    source.facts.append(_fact("SHN-C000010", outcome="failed", ended_at=_at(25)))
    assert _figures(client, viewer).content == before.content
    comparison = client.get(
        "/api/v1/kpis/closed-months/2026-11/comparison", headers=auth(viewer)
    ).json()
    changed = {d["path"]: (d["closed"], d["recomputed"]) for d in comparison["differences"]}
    assert changed["/changes/successRate/whole"] == (4, 5)
    assert changed["/changes/successRate/value"] == (50.0, 40.0)
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        figures = data.kpi_figures(session, date(2026, 11, 1))
    assert figures.changes == {
        "change_success_pct": 50.0,
        "emergency_change_pct": 25.0,
        "changes_causing_incidents_pct": 25.0,
        "change_lead_time_hours": 73.33,
    }


def test_the_monthly_report_shows_the_change_figures() -> None:
    plain = sample()
    figures = {
        "change_success_pct": 87.5,
        "emergency_change_pct": 12.5,
        "changes_causing_incidents_pct": 6.25,
        "change_lead_time_hours": 73.33,
    }
    with_changes = dataclasses.replace(plain, changes=figures)
    rows = list(csv.reader(io.StringIO(csv_report.render_data(with_changes).decode())))
    assert ["kpi", "2026-11", "change_success_pct", "87.5", "", ""] in rows
    assert ["kpi", "2026-11", "change_lead_time_hours", "73.33", "", ""] in rows
    assert (
        len(rows) == len(list(csv.reader(io.StringIO(csv_report.render_data(plain).decode())))) + 4
    )
    nl = csv_report.render(with_changes, "nl").decode("utf-8-sig")
    assert "Spoedwijzigingen (%);12,5" in nl
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf_report.render(with_changes, "en"))).pages
    )
    assert "Changes successful (%)" in text and "87.5" in text
    assert "Changes that caused incidents (%)" in text
    book = load_workbook(io.BytesIO(xlsx_report.render(with_changes, "en")))
    cells = {row[0]: row[1] for row in book[book.sheetnames[1]].iter_rows(values_only=True) if row}
    assert cells["Emergency changes (%)"] == 12.5
    assert cells["Mean change lead time, request to implementation (hours)"] == 73.33
    doc = opendocument.load(io.BytesIO(ods_report.render(with_changes, "nl")))
    counts = doc.spreadsheet.getElementsByType(Table)[1]
    texts = [str(cell) for cell in counts.getElementsByType(TableCell)]
    assert "Wijzigingen die incidenten veroorzaakten (%)" in texts
    plain_text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf_report.render(plain, "en"))).pages
    )
    assert "Changes successful" not in plain_text
