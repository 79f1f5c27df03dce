"""The agents' work queue, saved views, bulk actions and the dashboard per line: people signed
in through the real OpenID provider, each page read and posted as a browser would."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.db import unit_of_work
from core.identity import access
from core.identity.models import Grant, SubjectKind
from core.identity.roles import Role
from core.tenancy import Tenant, TenantKind
from core.types import utcnow
from regie.web.models import SavedView
from services.sla.models import Clock
from tests.core.test_web_signin import csrf_of, sign_in
from tests.factories import make_tenant
from tests.regie import test_web_tickets as pages
from tests.tickets.helpers import Desk
from tickets.models import Status, Ticket

# The client's directory and tenant of the ticket pages' tests (Rita reports, Aad and Ben work
# tickets, Pia manages problems).
idp, tenant = pages.idp, pages.tenant


@pytest.fixture
def desk(client, tenant) -> Desk:
    """The same tenant through the API, to set the scene."""
    return Desk(client, tenant)


@pytest.fixture
def people(app, idp, tenant) -> dict[str, TestClient]:
    browsers = {}
    for login in ("rita", "aad", "ben"):
        browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
        sign_in(browser, idp, tenant, login=login)
        browsers[login] = browser
    return browsers


def numbers(html: str) -> list[str]:
    """The ticket numbers of the queue's table, top to bottom."""
    return re.findall(r'<td><a href="/tickets/[^"]+">([A-Z]+-\d+)</a></td>', html)


def picks(html: str) -> dict[str, str]:
    """Each row's checkbox value, by ticket number."""
    rows = re.findall(r'name="tickets" value="([^"]+)">\s*<label[^>]*>[^<]* ([A-Z]+-\d+)<', html)
    return {number: value for value, number in rows}


def _id(ticket: dict) -> uuid.UUID:
    return uuid.UUID(ticket["id"])


def grant(tenant, idp, role: Role = Role.agent_line_1) -> None:
    """Let Aad (of the client's directory) work in another tenant too."""
    with unit_of_work(tenant.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=idp.dir,
                subject_oid=idp.ids["aad"],
                role=role,
                granted_by="test",
            )
        )


def test_the_queue_is_most_urgent_first_with_the_time_left(people, desk) -> None:
    low = desk.report(impact="low", urgency="low")
    urgent = desk.report(impact="high", urgency="high")
    waiting = desk.report(impact="high", urgency="high")
    desk.act(waiting, "transitions", {"status": "waiting-reporter", "reason": "Screenshot?"})

    page = people["aad"].get("/queue")

    assert page.status_code == 200
    assert numbers(page.text) == [urgent["number"], low["number"]]
    assert "Op tijd" in page.text and "over " in page.text  # "over 4 uur": the deadline ahead
    english = people["aad"].get("/queue?lang=en&priority=low").text
    assert numbers(english) == [low["number"]] and "On time" in english and "in " in english


def test_filters_narrow_the_queue_and_a_wrong_value_is_shown_at_its_field(people, desk) -> None:
    incident = desk.report(impact="low", urgency="low")
    group = desk.group("Servicedesk", "1")
    desk.act(incident, "assignments", {"groupId": group["id"]})
    other = desk.report()
    aad = people["aad"]
    assert numbers(aad.get(f"/queue?group={group['id']}").text) == [incident["number"]]
    assert numbers(aad.get("/queue?line=1").text) == [incident["number"]]
    assert numbers(aad.get("/queue?type=question").text) == []
    assert other["number"] in aad.get("/queue?type=incident").text

    wrong = aad.get("/queue?priority=whenever&lang=en")

    assert wrong.status_code == 400 and "text/html" in wrong.headers["content-type"]
    assert 'id="filter-priority-error"' in wrong.text and "This value is not valid." in wrong.text


def test_a_reporter_has_no_queue_and_no_dashboard(people) -> None:
    for path in ("/queue", "/dashboard"):
        r = people["rita"].get(path)
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert 'href="/queue"' not in people["rita"].get("/").text
    assert 'href="/queue"' in people["aad"].get("/").text


def test_the_queue_spans_the_clients_that_granted_access_and_no_other(
    people, desk, client, idp
) -> None:
    own = desk.report(impact="low", urgency="low")
    granting, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    theirs, hidden = granting.report(impact="high", urgency="high"), other.report()
    grant(granting.tenant, idp)
    aad = people["aad"]

    page = aad.get("/queue").text

    assert numbers(page) == [theirs["number"], own["number"]]
    assert hidden["id"] not in page
    slug = granting.tenant.slug
    assert f'href="/tickets/{theirs["id"]}?tenant={slug}"' in page
    assert numbers(aad.get(f"/queue?organisation={slug}").text) == [theirs["number"]]
    # The client's ticket opens for Aad there; the other client's stays unknown to him.
    assert theirs["title"] in aad.get(f"/tickets/{theirs['id']}?tenant={slug}").text
    refused = aad.get(f"/tickets/{hidden['id']}?tenant={other.tenant.slug}")
    assert refused.status_code == 404 and hidden["title"] not in refused.text
    assert aad.get(f"/queue?organisation={other.tenant.slug}").status_code == 400
    assert aad.get(f"/queue?tenant={other.tenant.slug}").status_code == 404
    assert aad.get(f"/tickets/{theirs['id']}").status_code == 404  # not in his own tenant


def test_an_agent_works_a_clients_ticket_in_that_tenant(people, client, idp) -> None:
    granting = Desk(client, make_tenant())
    ticket = granting.report()
    grant(granting.tenant, idp)
    aad = people["aad"]
    address = f"/tickets/{ticket['id']}?tenant={granting.tenant.slug}"
    page = aad.get(address).text
    action = f"/tickets/{ticket['id']}/status?tenant={granting.tenant.slug}"
    assert f'action="{action.replace("&", "&amp;")}"' in page

    moved = aad.post(action, data={"csrf": csrf_of(page), "version": "1", "status": "in-progress"})

    assert moved.status_code == 303 and moved.headers["location"] == address
    assert granting.get(ticket)["status"] == "in-progress"


def test_saved_views_are_each_persons_own(people, tenant) -> None:
    aad, ben = people["aad"], people["ben"]
    page = aad.get("/queue?priority=urgent&type=incident")
    data = {
        "csrf": csrf_of(page.text),
        "name": "Urgent incidents",
        "query": "type=incident&priority=urgent&x=1",
    }

    saved = aad.post("/queue/views", data=data)

    assert saved.status_code == 303
    assert saved.headers["location"] == "/queue?type=incident&priority=urgent"
    assert ">Urgent incidents</a>" in aad.get("/queue").text
    assert "Urgent incidents" not in ben.get("/queue").text
    with unit_of_work(tenant.id, read_only=True) as session:
        (view,) = session.exec(select(SavedView)).all()
    forged = ben.post(
        f"/queue/views/{view.id}/delete", data={"csrf": csrf_of(ben.get("/queue").text)}
    )
    assert forged.status_code == 404 and "text/html" in forged.headers["content-type"]
    nameless = aad.post("/queue/views?lang=en", data={**data, "name": " "})
    assert nameless.status_code == 400 and 'id="view-name-error"' in nameless.text
    assert "Give the view a name." in nameless.text
    gone = aad.post(f"/queue/views/{view.id}/delete", data={"csrf": data["csrf"]})
    assert gone.status_code == 303
    assert "Urgent incidents" not in aad.get("/queue").text


def test_saved_views_have_a_limit(people, monkeypatch) -> None:
    from regie.web import saved_views

    monkeypatch.setattr(saved_views, "MAX_VIEWS", 1)
    aad = people["aad"]
    token = csrf_of(aad.get("/queue").text)
    assert aad.post("/queue/views", data={"csrf": token, "name": "Een"}).status_code == 303
    again = aad.post("/queue/views", data={"csrf": token, "name": "Een", "query": "line=2"})
    assert again.status_code == 303  # the same name replaces its filters
    refused = aad.post("/queue/views?lang=en", data={"csrf": token, "name": "Twee"})
    assert refused.status_code == 400 and 'id="view-name-error"' in refused.text
    assert "delete one first" in refused.text


def test_a_saved_view_of_another_tenant_is_not_found(people, idp) -> None:
    elsewhere = make_tenant()
    with unit_of_work(elsewhere.id) as session:
        view = SavedView(owner_oid=idp.ids["aad"], page="queue", name="x", query="")
        session.add(view)
    aad = people["aad"]
    r = aad.post(f"/queue/views/{view.id}/delete", data={"csrf": csrf_of(aad.get("/queue").text)})
    assert r.status_code == 404
    with unit_of_work(elsewhere.id, read_only=True) as session:
        assert session.exec(select(SavedView)).first() is not None


def test_bulk_assign_reports_per_ticket_and_leaves_a_changed_one_alone(people, desk) -> None:
    first, second = desk.report(), desk.report()
    group = desk.group("Servicedesk", "1")
    aad = people["aad"]
    page = aad.get("/queue").text
    chosen = picks(page)
    # Someone changes the second ticket after Aad loaded the list.
    desk.act(second, "priority-changes", {"priority": "low", "reason": "Workaround"})

    done = aad.post(
        "/queue/bulk",
        data={
            "csrf": csrf_of(page),
            "action": "assign",
            "group": group["id"],
            "tickets": [chosen[first["number"]], chosen[second["number"]]],
        },
    )

    assert done.status_code == 200
    assert "1 van 2 meldingen gewijzigd." in done.text
    assert "Toegewezen" in done.text and "Iemand anders heeft deze melding gewijzigd" in done.text
    assert desk.get(first)["groupId"] == group["id"] and desk.get(first)["status"] == "assigned"
    assert desk.get(second)["groupId"] is None


def test_bulk_assign_to_me_needs_membership_and_a_group_of_the_tickets_tenant(
    people, desk, client, idp
) -> None:
    ticket = desk.report()
    elsewhere = Desk(client, make_tenant())
    foreign = elsewhere.group("Hunn desk", "1")
    own = desk.group("Servicedesk", "1")
    aad = people["aad"]
    page = aad.get("/queue?lang=en").text
    pick = picks(page)[ticket["number"]]
    base = {"csrf": csrf_of(page), "action": "assign", "tickets": [pick]}

    stranger = aad.post("/queue/bulk?lang=en", data={**base, "group": foreign["id"]})
    not_member = aad.post("/queue/bulk?lang=en", data={**base, "group": own["id"], "me": "1"})

    assert "This group belongs to another organisation than this ticket." in stranger.text
    assert "You are not a member of this group." in not_member.text
    assert desk.get(ticket)["groupId"] is None


def test_bulk_close_resolves_open_tickets_and_needs_a_resolution(people, desk, tenant) -> None:
    first, second = desk.report(), desk.report()
    aad = people["aad"]
    page = aad.get("/queue?lang=en").text
    chosen = picks(page)
    data = {"csrf": csrf_of(page), "action": "close", "tickets": list(chosen.values())}

    missing = aad.post("/queue/bulk?lang=en", data=data)

    assert missing.status_code == 400 and 'id="bulk-resolution-error"' in missing.text
    assert "Say how the tickets were resolved." in missing.text
    nothing = aad.post("/queue/bulk?lang=en", data={"csrf": data["csrf"], "action": "close"})
    assert (
        'id="bulk-tickets-error"' in nothing.text and "Select at least one ticket." in nothing.text
    )

    done = aad.post("/queue/bulk?lang=en", data={**data, "resolution": "Server restarted"})

    assert done.status_code == 200 and "2 of 2 tickets changed." in done.text
    with unit_of_work(tenant.id, read_only=True) as session:
        rows = session.exec(select(Ticket)).all()
    assert {t.status for t in rows} == {Status.resolved}
    assert {t.resolution for t in rows} == {"Server restarted"}
    assert {first["number"], second["number"]} <= set(re.findall(r">([A-Z]+-\d+)<", done.text))


def test_bulk_actions_need_the_csrf_token(people, desk) -> None:
    ticket = desk.report()
    pick = picks(people["aad"].get("/queue").text)[ticket["number"]]
    r = people["aad"].post(
        "/queue/bulk", data={"action": "close", "resolution": "x", "tickets": pick}
    )
    assert r.status_code == 403
    assert desk.get(ticket)["status"] == "new"


def test_the_dashboard_counts_open_breaching_and_breached_per_line(people, desk, tenant) -> None:
    group = desk.group("Servicedesk", "1")
    on_line_1 = [desk.report() for _ in range(3)]
    for ticket in on_line_1:
        desk.act(ticket, "assignments", {"groupId": group["id"]})
    desk.report()  # not assigned yet
    now = utcnow()
    with unit_of_work(tenant.id) as session:  # derived rows: as if time had passed
        for clock in session.exec(
            select(Clock).where(Clock.ticket_id == uuid.UUID(on_line_1[0]["id"]))
        ):
            clock.deadline, clock.warn_at = now - timedelta(minutes=5), now - timedelta(hours=1)
        for clock in session.exec(
            select(Clock).where(Clock.ticket_id == uuid.UUID(on_line_1[1]["id"]))
        ):
            clock.warn_at = now - timedelta(minutes=5)

    page = people["aad"].get("/dashboard?lang=en")

    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>\s*(.*?)</tr>", page.text, re.S)
    figures = {re.sub(r"<[^>]+>", "", head): re.findall(r">(\d+)<", cells) for head, cells in rows}
    assert figures["Line 1"] == ["3", "1", "1"]
    assert figures["Not assigned"] == ["1", "0", "0"]
    assert figures["Total"] == ["4", "1", "1"]
    assert 'href="/queue?line=1&amp;lang=en"' in page.text


def test_the_dashboard_shows_every_line_also_without_tickets(people) -> None:
    page = people["aad"].get("/dashboard?lang=en")
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>\s*(.*?)</tr>", page.text, re.S)
    figures = {re.sub(r"<[^>]+>", "", head): re.findall(r">(\d+)<", cells) for head, cells in rows}
    for line in ("Line 1", "Line 2", "Line 3", "Third party", "Not assigned", "Total"):
        assert figures[line] == ["0", "0", "0"], line


def test_supplier_staff_with_client_grants_only_have_the_queue(
    app, people, client, idp, tenant
) -> None:
    """Rob has no role to work tickets where he signs in (the supplier's own tenant), only a
    grant in a client's: the header offers him the queue, which holds that client's tickets."""
    with unit_of_work(None) as session:
        home = session.exec(select(Tenant).where(Tenant.id == tenant.id)).one()
        home.kind = TenantKind.supplier
    access._tenants.clear()
    client_desk = Desk(client, make_tenant())
    theirs = client_desk.report(impact="high", urgency="high")
    rob = TestClient(app, base_url="https://testserver", follow_redirects=False)
    sign_in(rob, idp, tenant, login="rob")
    assert 'href="/queue"' not in rob.get("/").text
    assert rob.get("/queue").status_code == 403

    with unit_of_work(client_desk.tenant.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=idp.dir,
                subject_oid=idp.ids["rob"],
                role=Role.agent_line_1,
                granted_by="test",
            )
        )

    home_page = rob.get("/").text
    assert 'href="/queue"' in home_page and 'href="/dashboard"' in home_page
    assert numbers(rob.get("/queue").text) == [theirs["number"]]
    assert rob.get("/dashboard").status_code == 200
    assert 'href="/queue"' not in people["rita"].get("/").text  # a reporter still has none
