"""The service level page: people signed in through the real OpenID provider read exactly the
figures the API gives their tenant, in Dutch and English, and request and download the
monthly report with a form that needs its CSRF token."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlmodel import select

from core.db import unit_of_work
from core.settings import get_settings
from core.tenancy import Tenant
from services.reports import data
from services.reports import permissions as reports
from services.reports.generate import generate
from services.reports.models import ReportJob
from services.sla.service import today
from tests.core.test_web_signin import csrf_of, web_tenant
from tests.factories import auth, make_token
from tests.regie.test_web_tickets import form_of
from tests.services.kpi_month import VIEWER, build_november
from tests.services.report_samples import figures as sample_figures
from tests.support.web_people import browser_of, directories, other_client, signed_in
from tests.tickets.helpers import Desk

PAGE = "/service-levels"
FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')


@pytest.fixture(scope="module")
def idp():
    """The client's directory (a KPI viewer, a key user, a reporter) and another client's."""
    provider = directories(
        {
            "vera": ("Vera Smit", ["kpi-viewer"]),
            "kees": ("Kees Bakker", ["key-user"]),
            "rita": ("Rita Jansen", ["reporter"]),
        },
        {"bert": ("Bert Mulder", ["kpi-viewer"])},
    )
    yield provider
    provider.stop()


@pytest.fixture
def tenant(idp, monkeypatch) -> Tenant:
    return web_tenant(idp, monkeypatch)


@pytest.fixture
def other_tenant(idp, tenant) -> Tenant:
    return other_client(idp)


@pytest.fixture
def people(app, idp, tenant) -> dict[str, TestClient]:
    return signed_in(app, idp, tenant, "vera", "kees", "rita")


def api_figures(client, tenant: Tenant, period: str = "2026-11") -> dict[str, Any]:
    token = make_token(tenant, VIEWER)
    r = client.get("/api/v1/kpis", params={"period": period}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def written(value: float | int | None, lang: str, *, percent: bool = False) -> str:
    """How the page must write an API number: the API's decimals, the language's separators."""
    if value is None:
        return ""  # the page says in words that there is no figure
    if isinstance(value, int) and not percent:
        text = f"{value:,}"
    else:
        text = f"{value:,.2f}" if round(value, 2) == value else f"{value:,.3f}"
    if lang == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    if not percent:
        return text
    return f"{text}\u00a0%" if lang == "nl" else f"{text}%"


def expected(api: dict[str, Any], lang: str) -> dict[str, str]:
    """Every figure cell of the page, from the API's answer alone."""
    cells = {}
    for key, field in (
        ("response", "response"),
        ("restore-platform", "restorePlatform"),
        ("restore-application", "restoreApplication"),
        ("availability", "availability"),
    ):
        cells[key] = written(api[field]["value"], lang, percent=True)
        cells[f"{key}-norm"] = written(api[field]["norm"], lang, percent=True)
    opened, backlog, restore = api["opened"], api["backlog"], api["restoreTime"]
    cells["opened"] = written(opened["total"], lang)
    for index, group in enumerate(("byType", "byPriority", "byLine"), start=1):
        cells |= {f"opened-{index}-{k}": written(n, lang) for k, n in opened[group].items()}
    cells["backlog"] = written(backlog["count"], lang)
    cells["backlog-mean-age"] = written(backlog["meanAgeDays"], lang)
    cells |= {f"backlog-priority-{k}": written(n, lang) for k, n in backlog["byPriority"].items()}
    cells |= {f"backlog-age-{k}": written(n, lang) for k, n in backlog["byAge"].items()}
    cells["restore-mean"] = written(restore["meanHours"], lang)
    cells["restore-p90"] = written(restore["p90Hours"], lang)
    cells["restore-count"] = written(restore["count"], lang)
    cells["first-line-resolution"] = written(
        api["firstLineResolution"]["value"], lang, percent=True
    )
    cells["reopened"] = written(api["reopened"]["value"], lang, percent=True)
    return cells


def shown(html: str) -> dict[str, str]:
    return dict(FIGURE.findall(html.replace("&gt;", ">")))


@pytest.fixture
def report_figures(monkeypatch) -> None:
    """Known figures for the worker, as in the report tests: the PDF's twelve-month chart
    needs at least two months with figures, which a fresh tenant does not have."""
    monkeypatch.setattr(data, "FIGURES_SOURCE", lambda _session, month: sample_figures(month))


def jobs(tenant: Tenant) -> list[ReportJob]:
    with unit_of_work(tenant.id, read_only=True) as session:
        return list(session.exec(select(ReportJob)))


def last_month() -> str:
    return f"{data.shift(data.first_of(today()), -1):%Y-%m}"


def test_the_page_shows_the_apis_figures_in_dutch_and_in_english(client, people, tenant) -> None:
    build_november(Desk(client, tenant))
    api = api_figures(client, tenant)
    assert api["opened"]["total"] == 8 and api["response"]["missed"] == 2  # a real month

    dutch = people["vera"].get(f"{PAGE}?period=2026-11")
    english = people["kees"].get(f"{PAGE}?period=2026-11&lang=en")

    assert dutch.status_code == english.status_code == 200
    assert dutch.headers["content-language"] == "nl" and english.headers["content-language"] == "en"
    assert shown(dutch.text) == expected(api, "nl")
    assert shown(english.text) == expected(api, "en")
    assert "60,00\u00a0%" in dutch.text and "60.00%" in english.text
    assert "<h2>Servicelevels november 2026</h2>" in dutch.text
    assert "<h2>Service levels November 2026</h2>" in english.text
    # Met or not is said in words, not only by colour; response missed its norm, availability met.
    assert "Niet gehaald" in dutch.text and "Gehaald" in dutch.text
    assert "Not met" in english.text and "> Met</span>" in english.text
    assert 'href="/service-levels/evidence?period=2026-11&amp;kpi=response"' in dutch.text
    assert 'href="/service-levels?period=2026-10"' in dutch.text  # the previous month
    assert 'href="/service-levels?period=2026-12&amp;lang=en"' in english.text


def test_without_a_period_the_page_shows_the_last_full_month(people) -> None:
    page = people["vera"].get(f"{PAGE}?lang=en")
    month = data.shift(data.first_of(today()), -1)
    assert f"<h2>Service levels {format_date(month, 'LLLL yyyy', locale='en')}</h2>" in page.text
    assert f'value="{month:%Y-%m}"' in page.text  # the period form starts there
    assert 'rel="next"' not in page.text or f"{data.shift(month, 1):%Y-%m}" in page.text
    assert people["vera"].get(f"{PAGE}?period=2026-13").status_code == 400


def test_a_report_is_requested_followed_and_downloaded(
    client, people, tenant, report_figures
) -> None:
    vera, month = people["vera"], last_month()
    page = vera.get(f"{PAGE}?period={month}&lang=en")
    action = "/service-levels/reports?lang=en"
    hidden = form_of(page.text, f"{action}#reports")
    assert hidden["month"] == month and 'value="pdf" checked' in page.text

    posted = vera.post(action, data={**hidden, "formats": ["pdf", "csv"], "language": "en"})

    assert posted.status_code == 303
    assert (
        posted.headers["location"] == f"/service-levels?period={month}&requested=1&lang=en#reports"
    )
    (job,) = jobs(tenant)
    assert (f"{job.month:%Y-%m}", job.formats, job.language) == (month, ["pdf", "csv"], "en")
    waiting = vera.get(posted.headers["location"])
    assert "The report is requested" in waiting.text and "Waiting to be made" in waiting.text
    file_url = f"/service-levels/reports/{job.id}/files/pdf"
    early = vera.get(file_url)
    assert early.status_code == 409 and "wordt nog gemaakt" in early.text

    assert generate(tenant.id, job.id) == "done"

    ready = vera.get(f"{PAGE}?period={month}")
    assert "Gereed" in ready.text and f'href="{file_url}"' in ready.text
    pdf = vera.get(file_url)
    token = make_token(tenant, [reports.READ])
    from_api = client.get(f"/api/v1/sla/reports/{job.id}/files/pdf", headers=auth(token))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f'filename="regie-sla-{month}.pdf"' in pdf.headers["content-disposition"]
    assert hashlib.sha256(pdf.content).digest() == hashlib.sha256(from_api.content).digest()
    assert vera.get(f"/service-levels/reports/{job.id}/files/xlsx").status_code == 404
    # The key user reads and downloads reports but may not request them.
    kees = people["kees"].get(f"{PAGE}?period={month}")
    assert f'href="{file_url}"' in kees.text and 'name="formats"' not in kees.text
    assert people["kees"].get(file_url).status_code == 200
    refused = people["kees"].post("/service-levels/reports", data={**hidden, "formats": "pdf"})
    assert refused.status_code == 403 and len(jobs(tenant)) == 1


def test_the_report_form_needs_its_csrf_token_and_says_what_is_wrong(people, tenant) -> None:
    vera, month = people["vera"], last_month()
    page = vera.get(f"{PAGE}?period={month}")
    form = {"month": month, "formats": "pdf", "language": "nl"}

    assert vera.post("/service-levels/reports", data=form).status_code == 403
    forged = vera.post("/service-levels/reports", data={**form, "csrf": "forged"})
    assert forged.status_code == 403 and "text/html" in forged.headers["content-type"]
    none = vera.post(
        "/service-levels/reports", data={**form, "formats": [], "csrf": csrf_of(page.text)}
    )
    assert none.status_code == 400 and 'id="report-formats-error"' in none.text
    assert "Kies ten minste één formaat." in none.text and 'value="pdf" checked' not in none.text
    this_month = f"{today():%Y-%m}"
    running = vera.post(
        "/service-levels/reports", data={**form, "month": this_month, "csrf": csrf_of(page.text)}
    )
    assert running.status_code == 400 and 'href="#report-month"' in running.text
    assert jobs(tenant) == []
    # A month that has not ended yet offers no form, only when it can be requested.
    current = vera.get(f"{PAGE}?period={this_month}")
    assert 'name="formats"' not in current.text and "zodra de maand voorbij is" in current.text


def test_another_tenants_reader_never_sees_this_tenants_figures_or_reports(
    app, client, idp, people, tenant, other_tenant, report_figures
) -> None:
    build_november(Desk(client, tenant))
    vera, month = people["vera"], last_month()
    hidden = form_of(vera.get(f"{PAGE}?period={month}").text, "/service-levels/reports#reports")
    assert (
        vera.post("/service-levels/reports", data={**hidden, "formats": "pdf"}).status_code == 303
    )
    (job,) = jobs(tenant)
    generate(tenant.id, job.id)
    bert = browser_of(app, idp, other_tenant, "bert")

    page = bert.get(f"{PAGE}?period=2026-11")

    assert page.status_code == 200
    assert shown(page.text) == expected(api_figures(client, other_tenant), "nl")
    assert shown(page.text)["opened"] == "0" and shown(page.text)["response"] == ""
    assert str(job.id) not in bert.get(f"{PAGE}?period={month}").text
    stolen = bert.get(f"/service-levels/reports/{job.id}/files/pdf")
    assert stolen.status_code == 404 and b"%PDF" not in stolen.content
    assert bert.get("/service-levels/reports/not-an-id/files/pdf").status_code == 404


def test_without_kpi_read_the_page_is_forbidden_and_not_in_the_menu(people) -> None:
    refused = people["rita"].get(f"{PAGE}?period=2026-11")
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert "Niet toegestaan" in refused.text and "data-figure" not in refused.text
    assert 'href="/service-levels"' not in people["rita"].get("/tickets").text
    assert 'href="/service-levels"' in people["vera"].get("/tickets").text


def test_visitors_without_a_session_go_to_the_start_page(app) -> None:
    anonymous = TestClient(app, base_url="https://testserver", follow_redirects=False)
    for r in (
        anonymous.get(PAGE),
        anonymous.get(f"/service-levels/reports/{uuid.uuid4()}/files/pdf"),
        anonymous.post("/service-levels/reports", data={"csrf": "x"}),
    ):
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_demo_user_reads_the_figures(app, tenant, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "demo_sign_in", True)
    demo = TestClient(app, base_url="https://testserver", follow_redirects=False)
    assert demo.post("/sign-in/demo", data={"tenant": tenant.slug}).status_code == 303
    page = demo.get(f"{PAGE}?period=2026-11&lang=en")
    assert page.status_code == 200 and "Request the report" in page.text


LINK = re.compile(r'href="(/service-levels/(?:evidence|tickets|availability)\?[^"]+)"')


def evidence_links(html: str) -> list[str]:
    return sorted({link.replace("&amp;", "&") for link in LINK.findall(html)})


def test_every_evidence_link_answers_the_apis_json_to_the_session(client, people, tenant) -> None:
    build_november(Desk(client, tenant))
    vera = people["vera"]
    links = evidence_links(vera.get(f"{PAGE}?period=2026-11").text)
    kinds = {link.split("?")[0] for link in links}
    assert kinds == {f"{PAGE}/evidence", f"{PAGE}/availability"}, links
    api = auth(make_token(tenant, [*VIEWER, "availability:read"]))
    for link in links:
        served = vera.get(link)
        assert served.status_code == 200, (link, served.text[:300])
        assert served.headers["content-type"] == "application/json"
        from_api = client.get(
            "/api/v1" + link.removeprefix(PAGE).replace("/evidence", "/kpis/evidence"), headers=api
        )
        assert served.json() == from_api.json()
    assert any(vera.get(link).json().get("items") for link in links)  # tickets really listed


def test_the_counts_evidence_and_refusals(client, app, idp, people, tenant, other_tenant) -> None:
    build_november(Desk(client, tenant))
    counted = people["vera"].get(f"{PAGE}/tickets?period=2026-11&set=opened")
    assert counted.status_code == 200 and len(counted.json()["items"]) == 8
    refused = people["rita"].get(f"{PAGE}/evidence?period=2026-11&kpi=response")
    assert refused.status_code == 403 and "items" not in refused.text
    bad = people["vera"].get(f"{PAGE}/evidence?period=2026-11&kpi=nonsense")
    assert bad.status_code == 400
    bert = browser_of(app, idp, other_tenant, "bert")
    theirs = bert.get(f"{PAGE}/tickets?period=2026-11&set=opened")
    assert theirs.status_code == 200 and theirs.json()["items"] == []
