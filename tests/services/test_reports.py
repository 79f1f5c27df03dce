"""Monthly service level reports over the API and the worker: request, progress, download,
validation, isolation, permissions, retries, and the monthly schedule with its mail."""

from __future__ import annotations

import csv
import hashlib
import io
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from sqlmodel import select

from core.db import unit_of_work
from core.identity.roles import ROLE_PERMISSIONS, Role
from core.outbox.service import drain
from core.settings import get_settings
from regie import roles
from services.dap import permissions as dap_permissions
from services.kpi import permissions as kpi_permissions
from services.reports import data, mail, permissions, schedule
from services.reports.generate import generate
from services.reports.models import JobState, MonthlyReport, ReportFile, ReportJob
from services.reports.service import new_job
from services.sla.service import today
from tests.audit.helpers import records
from tests.factories import auth, make_tenant, make_token
from tests.fixtures import Processes, wait_for
from tests.services.kpi_month import build_november
from tests.services.report_samples import figures

URL = "/api/v1/sla/reports"
BOTH = [permissions.READ, permissions.REQUEST]


def last_month() -> str:
    return f"{data.shift(data.first_of(today()), -1):%Y-%m}"


@pytest.fixture
def known_figures() -> Iterator[None]:
    """The KPI figures seam connected to known figures, as the composition root will."""
    data.FIGURES_SOURCE = lambda _session, month: figures(month)
    yield
    data.FIGURES_SOURCE = data.kpi_figures


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def requester(tenant) -> str:
    return make_token(tenant, BOTH)


def ask(client, token: str, **body: Any) -> Any:
    return client.post(URL, headers=auth(token), json={"month": last_month(), **body})


def job_row(tenant_id: uuid.UUID, job_id: str) -> ReportJob:
    with unit_of_work(tenant_id, read_only=True) as session:
        return session.exec(select(ReportJob).where(ReportJob.id == uuid.UUID(job_id))).one()


def test_a_report_made_by_a_real_worker_shows_progress_and_downloads(
    client, tenant, requester, processes: Processes
) -> None:
    formats = ["pdf", "xlsx", "ods", "csv", "csv-data"]
    key = {"Idempotency-Key": f"report-{uuid.uuid4()}"}
    r = client.post(
        URL, headers=auth(requester, **key), json={"month": last_month(), "formats": formats}
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"{URL}/{job['id']}"
    assert job["state"] == "queued" and job["progress"] == 0 and job["files"] == []
    replay = client.post(
        URL, headers=auth(requester, **key), json={"month": last_month(), "formats": formats}
    )
    assert replay.status_code == 202 and replay.json()["id"] == job["id"]
    early = client.get(f"{URL}/{job['id']}/files/pdf", headers=auth(requester))
    assert early.status_code == 409 and early.headers["content-type"] == "application/problem+json"

    _start_report_worker(processes)
    seen: list[tuple[str, int]] = []

    def finished() -> bool:
        now = client.get(f"{URL}/{job['id']}", headers=auth(requester)).json()
        seen.append((now["state"], now["progress"]))
        return bool(now["state"] in ("done", "failed"))

    wait_for(finished, timeout=90, what="the report")
    assert seen[-1] == ("done", 100)
    assert any(s == "running" and 0 < p < 100 for s, p in seen), seen
    done = client.get(f"{URL}/{job['id']}", headers=auth(requester)).json()
    assert sorted(f["format"] for f in done["files"]) == sorted(formats)
    for listed in done["files"]:
        got = client.get(listed["href"], headers=auth(requester))
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == listed["sha256"]
        assert len(got.content) == listed["size"]
    pdf = client.get(f"{URL}/{job['id']}/files/pdf", headers=auth(requester))
    assert pdf.headers["content-type"] == "application/pdf"
    name = f"regie-sla-{last_month()}.pdf"
    assert f'attachment; filename="{name}"' in pdf.headers["content-disposition"]
    assert "Test tenant" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    xlsx = client.get(f"{URL}/{job['id']}/files/xlsx", headers=auth(requester))
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    listed = client.get(URL, headers=auth(requester)).json()["items"]
    assert [i["id"] for i in listed] == [job["id"]] and listed[0]["state"] == "done"


def _start_report_worker(processes: Processes) -> None:
    pool = ["--pool=solo"] if get_settings().is_sqlite else ["--pool=prefork", "-c", "2"]
    processes.start(
        sys.executable,
        *("-m", "celery", "-A", "tests.support.report_worker", "worker", "-Q", "regie"),
        *("--without-gossip", "--without-mingle", *pool),
        log_name="report-worker.log",
    )


def test_only_closed_months_and_known_formats_are_accepted(client, tenant, requester) -> None:
    this_month = f"{today():%Y-%m}"
    future = f"{data.shift(data.first_of(today()), 2):%Y-%m}"
    for month in (this_month, future):
        r = client.post(URL, headers=auth(requester), json={"month": month})
        assert r.status_code == 400, r.text
        assert [p["name"] for p in r.json()["invalidParams"]] == ["month"]
    r = client.post(URL, headers=auth(requester), json={"month": "2026-13", "formats": ["doc"]})
    assert r.status_code == 400
    assert {p["name"] for p in r.json()["invalidParams"]} == {"month", "formats.0"}
    assert ask(client, requester, formats=["pdf", "pdf"]).status_code == 400
    assert client.get(URL, headers=auth(requester)).json()["items"] == []


def test_another_tenant_learns_nothing(client, tenant, requester, known_figures) -> None:
    job = ask(client, requester, formats=["pdf"]).json()
    generate(tenant.id, uuid.UUID(job["id"]))
    outsider = make_token(make_tenant(), BOTH)
    assert client.get(f"{URL}/{job['id']}", headers=auth(outsider)).status_code == 404
    r = client.get(f"{URL}/{job['id']}/files/pdf", headers=auth(outsider))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert client.get(URL, headers=auth(outsider)).json()["items"] == []
    assert client.get(f"{URL}/{job['id']}/files/pdf", headers=auth(requester)).status_code == 200
    # A format that was not requested is not there either.
    assert client.get(f"{URL}/{job['id']}/files/xlsx", headers=auth(requester)).status_code == 404


def test_permissions_decide_who_requests_and_who_reads(client, tenant, requester) -> None:
    reader = make_token(tenant, [permissions.READ])
    assert ask(client, reader).status_code == 403
    job = ask(client, requester).json()
    assert client.get(f"{URL}/{job['id']}", headers=auth(reader)).status_code == 200
    nobody = make_token(tenant, [])
    assert client.get(URL, headers=auth(nobody)).status_code == 403
    assert client.get(f"{URL}/{job['id']}", headers=auth(nobody)).status_code == 403


def test_roles_hold_the_report_permissions() -> None:
    roles.wire()
    readers = {
        Role.kpi_viewer,
        Role.key_user,
        Role.product_owner,
        Role.client_admin,
        Role.auditor,
        Role.service_level_manager,
        Role.supplier_admin,
    }
    requesters = {Role.service_level_manager, Role.kpi_viewer, Role.client_admin}
    assert {r for r in Role if permissions.READ in ROLE_PERMISSIONS[r]} == readers
    assert {r for r in Role if permissions.REQUEST in ROLE_PERMISSIONS[r]} == requesters


def test_a_job_is_audited_with_its_files_digest_not_their_bytes(
    client, tenant, requester, known_figures
) -> None:
    job = ask(client, requester, formats=["csv"]).json()
    generate(tenant.id, uuid.UUID(job["id"]))
    [created] = [e for e in records(tenant.id, "services_report_job") if e["action"] == "create"]
    assert created["entity"]["id"] == job["id"]
    [stored] = records(tenant.id, "services_report_file")
    after = {k: v["after"] for k, v in stored["changes"].items()}
    assert len(after["sha256"]) == 64 and after["content"] != after["sha256"]
    assert "Reactietijd" not in str(stored)


def test_a_done_job_is_left_alone_and_a_killed_one_is_taken_over(tenant, known_figures) -> None:
    with unit_of_work(tenant.id) as session:
        job = new_job(
            session,
            month=date(2026, 10, 1),
            formats=["pdf", "csv"],
            language="en",
            requested_by="test",
        )
        job_id = job.id
    with unit_of_work(tenant.id) as session:  # as a worker killed after its first format
        row = session.exec(select(ReportJob).where(ReportJob.id == job_id)).one()
        row.state, row.attempt, row.progress, row.step = JobState.running, 1, 40, "pdf made"
        session.add(ReportFile(job_id=job_id, format="pdf", content=b"partial", sha256="0", size=7))
    assert generate(tenant.id, job_id) == "done"
    with unit_of_work(tenant.id, read_only=True) as session:
        row = session.exec(select(ReportJob).where(ReportJob.id == job_id)).one()
        files = session.exec(select(ReportFile).where(ReportFile.job_id == job_id)).all()
        assert row.attempt == 2 and row.state == JobState.done and row.progress == 100
        assert sorted(f.format for f in files) == ["csv", "pdf"]
        [pdf] = [f for f in files if f.format == "pdf"]
        assert (
            pdf.content.startswith(b"%PDF")
            and pdf.sha256 == hashlib.sha256(pdf.content).hexdigest()
        )
    assert generate(tenant.id, job_id) == "skipped"
    with unit_of_work(tenant.id, read_only=True) as session:
        again = session.exec(select(ReportJob).where(ReportJob.id == job_id)).one()
        assert again.attempt == 2 and again.finished_at == row.finished_at


def test_the_report_shows_the_figures_the_kpi_endpoint_serves(client, desk) -> None:
    build_november(desk)
    token = make_token(desk.tenant, [*BOTH, kpi_permissions.READ])
    job = client.post(
        URL, headers=auth(token), json={"month": "2026-11", "formats": ["csv-data"]}
    ).json()
    assert generate(desk.tenant.id, uuid.UUID(job["id"])) == "done"
    body = client.get(f"{URL}/{job['id']}/files/csv-data", headers=auth(token)).text
    rows = {(r["month"], r["indicator"]): r for r in csv.DictReader(io.StringIO(body))}
    served = client.get("/api/v1/kpis?period=2026-11", headers=auth(token)).json()
    for figure, key in (("response", "response"), ("restore_platform", "restorePlatform")):
        assert float(rows[("2026-11", figure)]["value"]) == served[key]["value"]
    assert rows[("2026-10", "response")]["value"] == ""  # nothing was decided in October
    incidents = rows[("2026-11", "type:incident")]["value"]
    assert int(incidents) == served["opened"]["byType"]["incident"]


def test_the_report_reads_tenant_and_agreement_and_hashes_its_evidence(
    tenant, known_figures
) -> None:
    with unit_of_work(tenant.id, read_only=True) as session:
        report = data.report_data(session, month=date(2026, 11, 17))
        again = data.report_data(session, month=date(2026, 11, 1))
    assert report.tenant_name == "Test tenant" and report.month == date(2026, 11, 1)
    assert report.agreement_version == "default"
    assert report.norms == {
        "response": 95.0,
        "restore_platform": 95.0,
        "restore_application": 95.0,
        "availability": 99.4,
    }
    assert report.months[0].month == date(2025, 12, 1) and len(report.months) == 12
    assert report.evidence_hash == again.evidence_hash and len(report.evidence_hash) == 64
    data.FIGURES_SOURCE = lambda _s, month: figures(data.shift(month, -1))
    with unit_of_work(tenant.id, read_only=True) as session, pytest.raises(data.FiguresUnavailable):
        data.report_data(session, month=date(2026, 11, 1))


def test_the_first_working_day_decides_when_the_month_is_due() -> None:
    # 1 January 2028 is a Saturday and a holiday; 1 May 2027 a Saturday; 1 June 2026 a Monday.
    assert schedule.first_working_day(date(2028, 1, 1)) == date(2028, 1, 3)
    assert schedule.due_month(date(2028, 1, 2)) is None
    assert schedule.due_month(date(2028, 1, 3)) == date(2027, 12, 1)
    assert schedule.due_month(date(2026, 6, 1)) == date(2026, 5, 1)
    assert schedule.due_month(date(2026, 6, 20)) == date(2026, 5, 1)


def test_the_schedule_makes_one_job_per_tenant_per_month_even_run_twice_at_once() -> None:
    tenants = [make_tenant(), make_tenant()]
    barrier, made = threading.Barrier(2), []

    def run() -> None:
        barrier.wait()
        made.append(schedule.send_monthly(date(2026, 12, 1)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(made) == 2
    assert schedule.send_monthly(date(2026, 12, 15)) == 0
    for tenant in tenants:
        with unit_of_work(tenant.id, read_only=True) as session:
            [job] = session.exec(select(ReportJob)).all()
            [monthly] = session.exec(select(MonthlyReport)).all()
        assert job.month == date(2026, 11, 1) and job.mail and monthly.job_id == job.id
        assert job.requested_by == schedule.REQUESTED_BY and "pdf" in job.formats
    assert schedule.send_monthly(date(2027, 1, 4)) == 2  # January: December's report


class Inbox:
    def __init__(self) -> None:
        self.received: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch) -> Iterator[Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("REGIE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    yield inbox
    controller.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def recipients() -> Iterator[None]:
    mail.RECIPIENTS_SOURCE = lambda _s, _m: [("J. Jansen", "j.jansen@example.nl")]
    yield
    mail.RECIPIENTS_SOURCE = mail.dap_recipients


def test_the_monthly_report_is_mailed_with_its_pdf(
    app, tenant, known_figures, recipients, smtp
) -> None:
    assert schedule.send_monthly(date(2026, 12, 1)) >= 1
    with unit_of_work(tenant.id, read_only=True) as session:
        job = session.exec(select(ReportJob)).one()
    assert generate(tenant.id, job.id) == "done"
    assert drain(tenant.id) == 1 and drain(tenant.id) == 0
    [sent] = smtp.received
    assert sent["To"] == "j.jansen@example.nl" and "november 2026" in sent["Subject"]
    [attached] = [p for p in sent.walk() if p.get_filename()]
    assert attached.get_filename() == "regie-sla-2026-11.pdf"
    with unit_of_work(tenant.id, read_only=True) as session:
        pdf = session.exec(select(ReportFile).where(ReportFile.format == "pdf")).one()
    assert attached.get_payload(decode=True) == pdf.content


def test_the_dap_names_who_receives_the_monthly_report(
    app, client, tenant, known_figures, smtp
) -> None:
    manager = make_token(tenant, [dap_permissions.READ, dap_permissions.MANAGE])
    people = [
        {"name": "Anna", "email": "anna@gemeente.example.nl", "reports": ["monthly-sla"]},
        {"name": "Bram", "email": "bram@gemeente.example.nl", "reports": ["quarterly"]},
    ]
    version = {"effectiveFrom": today().isoformat(), "reportRecipients": people}
    r = client.post("/api/v1/dap/versions", headers=auth(manager), json=version)
    assert r.status_code == 201, r.text
    assert schedule.send_monthly(date(2026, 12, 1)) >= 1
    with unit_of_work(tenant.id, read_only=True) as session:
        job = session.exec(select(ReportJob)).one()
    assert generate(tenant.id, job.id) == "done"
    assert drain(tenant.id) == 1
    assert [m["To"] for m in smtp.received] == ["anna@gemeente.example.nl"]


def test_without_recipients_nobody_is_mailed_and_the_job_is_still_made(
    tenant, known_figures, smtp
) -> None:
    schedule.send_monthly(date(2026, 12, 1))
    with unit_of_work(tenant.id, read_only=True) as session:
        job = session.exec(select(ReportJob)).one()
    assert generate(tenant.id, job.id) == "done"
    assert drain(tenant.id) == 0 and smtp.received == []
    time.sleep(0)  # nothing queued to wait for


def test_the_daily_run_sends_jobs_stuck_for_an_hour_again(tenant) -> None:
    with unit_of_work(tenant.id) as session:
        stuck = new_job(
            session, month=date(2026, 9, 1), formats=["pdf"], language="nl", requested_by="test"
        )
        stuck.state, stuck.attempt = JobState.running, 1
        stuck.created_at = stuck.created_at - timedelta(hours=2)
        new_job(
            session, month=date(2026, 10, 1), formats=["pdf"], language="nl", requested_by="test"
        )
    assert schedule.retry_stale(tenant.id) == 1


def test_a_month_outside_this_century_is_invalid_input(client, requester) -> None:
    for month in ("0001-02", "1999-12", "2100-01"):
        r = client.post(URL, headers=auth(requester), json={"month": month})
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "month"
