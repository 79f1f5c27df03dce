"""The client's pages beyond tickets: the service levels' twelve-month trend, the month's
outages and availability, the DAP and the access reviews. People sign in through the real
OpenID provider; every page reads exactly what the API gives their own tenant, and ids of
another tenant are as unknown as made-up ones."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from core.db import unit_of_work
from core.identity import reviews as review_permissions
from core.identity.models import Grant, SubjectKind
from core.identity.roles import Role
from core.tenancy import Tenant
from core.types import utcnow
from services.availability import permissions as availability
from services.dap import permissions as dap
from services.dap.windows import today
from services.sla import permissions as sla_permissions
from services.sla.models import Agreement
from tests.core.test_web_signin import csrf_of, web_tenant
from tests.factories import auth, make_token
from tests.regie.test_web_service_levels import api_figures, written
from tests.services.kpi_month import build_november, exclude
from tests.services.test_kpi_closing import _close_and_sign as close_and_sign
from tests.services.test_kpi_closing import as_owner
from tests.support.web_people import browser_of, directories, other_client, signed_in
from tests.tickets.helpers import Desk

TREND = re.compile(r'data-trend="([^"]+)">([^<]*)<')
SERIES = (
    ("response", "response"),
    ("restore-platform", "restorePlatform"),
    ("restore-application", "restoreApplication"),
    ("availability", "availability"),
)


@pytest.fixture(scope="module")
def idp():
    """The client's directory (a KPI viewer, an admin, a reporter) and another client's admin."""
    provider = directories(
        {
            "vera": ("Vera Smit", ["kpi-viewer"]),
            "cleo": ("Cleo Admin", ["client-admin"]),
            "rita": ("Rita Jansen", ["reporter"]),
        },
        {"bert": ("Bert Mulder", ["client-admin", "kpi-viewer"])},
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
def people(app, idp, tenant, other_tenant) -> dict[str, TestClient]:
    client_side = signed_in(app, idp, tenant, "vera", "cleo", "rita")
    return {**client_side, "bert": browser_of(app, idp, other_tenant, "bert")}


def test_the_trend_draws_twelve_months_against_the_norm_and_tables_them(
    client, people, tenant
) -> None:
    build_november(Desk(client, tenant))
    api = api_figures(client, tenant)
    october = api_figures(client, tenant, "2026-10")

    page = people["vera"].get("/service-levels?period=2026-11&lang=en").text

    charts = re.findall(r'<svg [^>]*role="img"[^>]*data-chart="([^"]+)"', page)
    assert charts == ["response", "restore-platform", "restore-application", "availability"]
    # Each chart says in words what it shows, and the norm is dashed and labelled.
    assert '<title id="chart-response-title">Response: twelve-month trend against the norm' in page
    assert page.count('<polyline class="norm"') == 4 and page.count(">Norm</text>") == 4
    cells = dict(TREND.findall(page))
    assert len([k for k in cells if k.startswith("response-norm-")]) == 12
    assert cells["response-11"] == written(api["response"]["value"], "en", percent=True)
    assert cells["response-norm-11"] == written(api["response"]["norm"], "en", percent=True)
    assert cells["availability-11"] == written(api["availability"]["value"], "en", percent=True)
    assert october["response"]["value"] is None and "no figure" in re.sub(
        r"\s+", " ", page.split('data-trend="response-10">')[1].split("</td>")[0]
    )
    assert '<th scope="row">December 2025</th>' in page  # twelve months: Dec 2025 to Nov 2026
    dutch = people["vera"].get("/service-levels?period=2026-11").text
    assert "Twaalf maanden" in dutch and "november 2026" in dutch


def test_every_month_of_the_trend_is_the_apis_figure_and_norm(
    client, people, tenant, owner_engine
) -> None:
    """Open months computed, a closed month from its snapshot, an accepted exclusion, and an
    agreement version in effect from June (its norm in the open months from then, never in
    the month closed before it): every cell of both trends is what the API gives that month."""
    november = build_november(Desk(client, tenant))
    exclude(client, november.desk, november.tickets["G"])
    assert close_and_sign(client, november.desk, "2026-10")["month"] == "2026-10"
    manager = make_token(tenant, [sla_permissions.READ, sla_permissions.MANAGE])
    version = {
        "effectiveFrom": (today() + timedelta(days=1)).isoformat(),
        "norms": {"response": 50.0},
    }
    added = client.post("/api/v1/sla/agreements", headers=auth(manager), json=version)
    assert added.status_code == 201, added.text
    with as_owner(owner_engine, tenant.id) as conn:
        conn.execute(
            update(Agreement)
            .where(Agreement.tenant_id == tenant.id)  # type: ignore[arg-type]
            .values(effective_from=date(2026, 6, 1))
        )
    norms = set()
    for period, first in (("2026-11", date(2025, 12, 1)), ("2026-12", date(2026, 1, 1))):
        cells = dict(
            TREND.findall(people["vera"].get(f"/service-levels?period={period}&lang=en").text)
        )
        for i in range(12):
            month = date(
                first.year + (first.month + i - 1) // 12, (first.month + i - 1) % 12 + 1, 1
            )
            api = api_figures(client, tenant, f"{month:%Y-%m}")
            for key, field in SERIES:
                assert cells[f"{key}-{i}"] == written(api[field]["value"], "en", percent=True)
                assert cells[f"{key}-norm-{i}"] == written(api[field]["norm"], "en", percent=True)
            norms.add((f"{month:%Y-%m}", api["response"]["norm"]))
    assert ("2026-05", 95.0) in norms and ("2026-06", 50.0) in norms
    assert ("2026-10", 95.0) in norms and ("2026-11", 50.0) in norms  # October was closed before


def record_outages(client, tenant: Tenant) -> None:
    token = auth(make_token(tenant, [availability.READ, availability.MANAGE]))
    for body in (
        {
            "start": "2026-11-03T10:00:00+01:00",
            "end": "2026-11-03T12:00:00+01:00",
            "scope": "platform",
            "description": "Opslag viel uit",
        },
        {
            "start": "2026-11-10T10:00:00+01:00",
            "end": "2026-11-10T11:00:00+01:00",
            "scope": "application",
            "description": "Onderhoud",
            "planned": True,
        },
    ):
        r = client.post("/api/v1/outages", headers=token, json=body)
        assert r.status_code == 201, r.text


def test_the_outages_page_gives_the_apis_availability_and_every_outage(
    client, people, tenant
) -> None:
    record_outages(client, tenant)
    token = auth(make_token(tenant, [availability.READ]))
    api = client.get("/api/v1/availability", params={"month": "2026-11"}, headers=token).json()

    english = people["vera"].get("/outages?month=2026-11&lang=en")
    dutch = people["vera"].get("/outages?month=2026-11")

    assert english.status_code == dutch.status_code == 200
    value = re.search(r'data-availability="all">([^<]*)<', english.text)[1]
    assert value == written(api["availabilityPercent"], "en", percent=True)
    assert "Opslag viel uit" in english.text and "Yes: 2.00 hours" in english.text
    assert "No: Planned maintenance" in english.text
    assert "Storingen en beschikbaarheid november 2026" in dutch.text
    assert "Nee: Gepland onderhoud" in dutch.text
    assert 'href="/outages?month=2026-10&amp;lang=en"' in english.text
    # Another client sees none of it; a reporter may not read availability; a bad month is 400.
    assert "Opslag viel uit" not in people["bert"].get("/outages?month=2026-11").text
    assert people["rita"].get("/outages").status_code == 403
    bad = people["vera"].get("/outages?month=2026-13", headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    assert 'href="/outages"' in people["vera"].get("/").text
    assert 'href="/outages"' not in people["rita"].get("/").text


def dap_body() -> dict[str, Any]:
    """A DAP in effect from today: a contact, a weekly window, a channel, a recipient."""
    return {
        "effectiveFrom": today().isoformat(),
        "escalationContacts": [
            {
                "level": 1,
                "name": "Sanne Servicedesk",
                "email": "sanne@example.org",
                "phone": "+31 20 123 4567",
                "side": "supplier",
            }
        ],
        "maintenanceWindows": {
            "weekly": [
                {"day": "tuesday", "start": "18:00", "end": "22:00", "description": "Patches"}
            ]
        },
        "channels": [{"kind": "e-mail", "address": "desk@example.org", "purpose": "Meldingen"}],
        "reportRecipients": [
            {"name": "Piet Client", "email": "piet@example.org", "reports": ["monthly-sla"]}
        ],
    }


def add_dap(client, tenant: Tenant) -> dict[str, Any]:
    body = dap_body()
    token = auth(make_token(tenant, [dap.READ, dap.MANAGE]))
    r = client.post("/api/v1/dap/versions", headers=token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_the_dap_page_shows_the_version_in_effect_and_each_version(client, people, tenant) -> None:
    assert "No DAP is in effect yet." in people["vera"].get("/dap?lang=en").text
    version = add_dap(client, tenant)

    english = people["vera"].get("/dap?lang=en").text
    dutch = people["vera"].get("/dap").text

    assert "Sanne Servicedesk" in english and "Tuesday 18:00\u201322:00: Patches" in english
    assert "desk@example.org" in english and "piet@example.org" in english
    assert "Version 1, in effect from" in english
    assert "dinsdag 18:00\u201322:00: Patches" in dutch and "Escalatiecontacten" in dutch
    one = people["vera"].get(f"/dap/versions/{version['id']}")
    assert one.status_code == 200 and "Sanne Servicedesk" in one.text
    # Another client's person learns nothing of it; nor does a made-up id.
    for path in (f"/dap/versions/{version['id']}", "/dap/versions/not-an-id"):
        refused = people["bert"].get(path)
        assert refused.status_code == 404 and "Sanne" not in refused.text
    assert "Sanne" not in people["bert"].get("/dap").text
    assert people["rita"].get("/dap").status_code == 403


def start_review(client, tenant: Tenant, idp) -> tuple[dict[str, Any], dict[str, str]]:
    """Two grants of the tenant under review, Cleo the named reviewer."""
    ids = {}
    with unit_of_work(tenant.id) as session:
        for name, role in (("Kees", Role.key_user), ("Oud-collega", Role.reporter)):
            grant = Grant(
                subject_kind=SubjectKind.user,
                subject_tid=idp.dir,
                subject_oid=uuid.uuid4(),
                subject_name=name,
                role=role,
                granted_by="test",
            )
            session.add(grant)
            session.flush()
            ids[name] = str(grant.id)
    body = {
        "name": "Q4 2026",
        "reviewerTid": str(idp.dir),
        "reviewerOid": str(idp.ids["cleo"]),
        "reviewerName": "Cleo Admin",
        "dueAt": (utcnow() + timedelta(days=14)).isoformat(),
    }
    token = auth(make_token(tenant, [review_permissions.MANAGE]))
    r = client.post("/api/v1/access-reviews", headers=token, json=body)
    assert r.status_code == 201, r.text
    return r.json(), ids


def test_the_reviewer_keeps_and_revokes_access_with_a_form(client, people, tenant, idp) -> None:
    review, grants = start_review(client, tenant, idp)
    cleo = people["cleo"]
    listed = cleo.get("/access-reviews?lang=en").text
    assert f'href="/access-reviews/{review["id"]}?lang=en"' in listed and "Q4 2026" in listed
    assert 'href="/access-reviews"' in cleo.get("/").text
    page = cleo.get(f"/access-reviews/{review['id']}?lang=en").text
    assert "2 of 2 not decided yet" in page
    actions = re.findall(r'action="(/access-reviews/[^"]+/decision\?lang=en)"', page)
    assert len(actions) == 2
    kees_item, old_item = _items(client, tenant, review, grants)

    nothing = cleo.post(_action(review, kees_item), data={"csrf": csrf_of(page)})
    assert nothing.status_code == 400
    assert "Choose whether to keep or to revoke this access." in nothing.text
    forged = cleo.post(_action(review, kees_item), data={"csrf": "x", "decision": "confirmed"})
    assert forged.status_code == 403

    kept = cleo.post(
        _action(review, kees_item),
        data={"csrf": csrf_of(page), "decision": "confirmed", "note": "Nog nodig"},
    )
    assert kept.status_code == 303
    assert kept.headers["location"].endswith(f"decided=1&lang=en#item-{kees_item}")
    revoked = cleo.post(
        _action(review, old_item), data={"csrf": csrf_of(page), "decision": "revoked"}
    )
    assert revoked.status_code == 303
    assert revoked_at(tenant, grants["Oud-collega"]) is not None
    assert revoked_at(tenant, grants["Kees"]) is None
    done = cleo.get(f"/access-reviews/{review['id']}").text
    assert "Voltooid" in done and "Behouden" in done and "Ingetrokken" in done
    again = cleo.post(
        _action(review, kees_item), data={"csrf": csrf_of(page), "decision": "revoked"}
    )
    assert again.status_code == 409


def test_another_tenant_and_other_people_cannot_reach_a_review(client, people, tenant, idp) -> None:
    review, grants = start_review(client, tenant, idp)
    kees_item, _ = _items(client, tenant, review, grants)
    bert = people["bert"]
    page = bert.get("/access-reviews").text
    assert "Q4 2026" not in page
    for path in (f"/access-reviews/{review['id']}", "/access-reviews/nonsense"):
        refused = bert.get(path)
        assert refused.status_code == 404 and "Q4 2026" not in refused.text
    posted = bert.post(
        _action(review, kees_item), data={"csrf": csrf_of(page), "decision": "revoked"}
    )
    assert posted.status_code == 404
    # Vera neither manages reviews nor is the reviewer: no link, no review, no decision.
    vera = people["vera"]
    assert 'href="/access-reviews"' not in vera.get("/").text
    assert "Q4 2026" not in vera.get("/access-reviews").text
    assert vera.get(f"/access-reviews/{review['id']}").status_code == 404
    assert revoked_at(tenant, grants["Kees"]) is None


def revoked_at(tenant: Tenant, grant_id: str) -> datetime | None:
    with unit_of_work(tenant.id, read_only=True) as session:
        return session.exec(select(Grant).where(Grant.id == uuid.UUID(grant_id))).one().revoked_at


def _items(client, tenant: Tenant, review: dict[str, Any], grants: dict[str, str]) -> list[str]:
    token = auth(make_token(tenant, [review_permissions.MANAGE, review_permissions.DECIDE]))
    detail = client.get(f"/api/v1/access-reviews/{review['id']}", headers=token).json()
    by_grant = {item["grantId"]: item["id"] for item in detail["items"]}
    return [by_grant[grants["Kees"]], by_grant[grants["Oud-collega"]]]


def _action(review: dict[str, Any], item: str) -> str:
    return f"/access-reviews/{review['id']}/items/{item}/decision?lang=en"
