"""Exclusions from a month's figures: proposed by the service level manager, accepted or
rejected once by the client's service owner, visible in every state, audited."""

from __future__ import annotations

from datetime import date

from core.db import unit_of_work
from core.identity.roles import ROLE_PERMISSIONS, SUPPLIER_ROLES, Role
from services.kpi import permissions as kpi
from services.kpi import public
from tests.audit.helpers import records
from tests.factories import auth, grant_staff, make_token
from tests.services.kpi_month import MANAGER, OWNER, VIEWER, build_november, exclude

URL = "/api/v1/kpis/exclusions"


def _propose(client, desk, ticket, **overrides) -> object:
    body = {
        "month": "2026-11",
        "subjectKind": "ticket",
        "subjectId": ticket["id"],
        "reason": "The client's network was down",
        **overrides,
    }
    return client.post(URL, headers=auth(make_token(desk.tenant, MANAGER)), json=body)


def _decide(client, token: str, exclusion: dict, etag: str, decision: str) -> object:
    return client.post(
        f"{URL}/{exclusion['id']}/decisions",
        headers=auth(token, **{"If-Match": etag}),
        json={"decision": decision, "reason": "Checked the logs"},
    )


def test_the_roles_that_propose_and_decide(app) -> None:
    # The app wires the roles.
    assert list(Role)[-1] == Role.service_owner and Role.service_owner not in SUPPLIER_ROLES
    assert kpi.DECIDE in ROLE_PERMISSIONS[Role.service_owner]
    assert kpi.DECIDE in ROLE_PERMISSIONS[Role.client_admin]
    assert kpi.PROPOSE in ROLE_PERMISSIONS[Role.service_level_manager]
    assert kpi.DECIDE not in ROLE_PERMISSIONS[Role.service_level_manager]
    assert kpi.READ in ROLE_PERMISSIONS[Role.kpi_viewer]


def test_propose_accept_and_the_figures_follow(client, desk) -> None:
    month = build_november(desk)
    viewer, owner = make_token(desk.tenant, VIEWER), make_token(desk.tenant, OWNER)
    r = _propose(client, desk, month.tickets["G"])
    assert r.status_code == 201, r.text
    proposed = r.json()
    assert proposed["state"] == "proposed" and proposed["month"] == "2026-11"
    assert r.headers["location"] == f"{URL}/{proposed['id']}"
    # A proposal changes nothing, and shows as a note in the evidence.
    figures = client.get("/api/v1/kpis", params={"period": "2026-11"}, headers=auth(viewer))
    assert figures.json()["response"]["missed"] == 2
    rows = client.get(
        "/api/v1/kpis/evidence",
        params={"period": "2026-11", "kpi": "response"},
        headers=auth(viewer),
    ).json()["items"]
    g = next(row for row in rows if row["number"] == month.number("G"))
    assert g["outcome"] == "missed" and g["notes"][0]["state"] == "proposed"
    d = _decide(client, owner, proposed, r.headers["ETag"], "accepted")
    assert d.status_code == 200, d.text
    assert d.json()["state"] == "accepted" and d.json()["decisionReason"] == "Checked the logs"
    figures = client.get("/api/v1/kpis", params={"period": "2026-11"}, headers=auth(viewer))
    assert figures.json()["response"]["missed"] == 1
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        accepted = public.accepted_exclusions(
            session, month=date(2026, 11, 15), subject_kind="ticket"
        )
    assert {str(k): v for k, v in accepted.items()} == {
        month.id("G"): "The client's network was down"
    }


def test_a_decision_is_final_and_a_rejection_stays_visible(client, desk) -> None:
    month = build_november(desk)
    owner = make_token(desk.tenant, OWNER)
    r = _propose(client, desk, month.tickets["B"])
    d = _decide(client, owner, r.json(), r.headers["ETag"], "rejected")
    assert d.status_code == 200 and d.json()["state"] == "rejected"
    again = _decide(client, owner, r.json(), d.headers["ETag"], "accepted")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    # Rejected: B still counts; a new proposal may follow.
    viewer = make_token(desk.tenant, VIEWER)
    figures = client.get("/api/v1/kpis", params={"period": "2026-11"}, headers=auth(viewer))
    assert figures.json()["response"]["missed"] == 2
    listed = client.get(URL, params={"state": "rejected"}, headers=auth(viewer)).json()["items"]
    assert [e["id"] for e in listed] == [r.json()["id"]]
    assert _propose(client, desk, month.tickets["B"]).status_code == 201
    # While one stands, a second proposal for the same ticket and month is refused.
    assert _propose(client, desk, month.tickets["B"]).status_code == 409


def test_decisions_need_if_match_and_the_right_role(client, desk) -> None:
    month = build_november(desk)
    r = _propose(client, desk, month.tickets["G"])
    owner = make_token(desk.tenant, OWNER)
    missing = client.post(
        f"{URL}/{r.json()['id']}/decisions",
        headers=auth(owner),
        json={"decision": "accepted", "reason": "ok"},
    )
    assert missing.status_code == 428
    assert _decide(client, owner, r.json(), '"99"', "accepted").status_code == 412
    manager = make_token(desk.tenant, MANAGER)
    assert _decide(client, manager, r.json(), r.headers["ETag"], "accepted").status_code == 403
    assert client.post(URL, headers=auth(owner), json={}).status_code == 403


def test_who_proposed_cannot_decide(client, desk) -> None:
    month = build_november(desk)
    both = make_token(desk.tenant, [*MANAGER, kpi.DECIDE])  # one holder, both permissions
    r = client.post(
        URL,
        headers=auth(both),
        json={
            "month": "2026-11",
            "subjectKind": "ticket",
            "subjectId": month.id("G"),
            "reason": "x",
        },
    )
    assert r.status_code == 201, r.text
    d = _decide(client, both, r.json(), r.headers["ETag"], "accepted")
    assert d.status_code == 403 and d.headers["content-type"] == "application/problem+json"
    # Nothing changed: still proposed, and another of the client decides.
    owner = make_token(desk.tenant, OWNER)
    assert client.get(f"{URL}/{r.json()['id']}", headers=auth(owner)).json()["state"] == "proposed"
    assert _decide(client, owner, r.json(), r.headers["ETag"], "accepted").status_code == 200


def test_the_supplier_side_never_decides(client, desk, idp, supplier) -> None:
    month = build_november(desk)
    # The client's admin made a supplier's person service owner here too.
    grant_staff(desk.tenant, idp, Role.service_owner)
    staff = {"Regie-Tenant": desk.tenant.slug}
    person = idp.token(idp.supplier_dir, idp.agent)
    r = _propose(client, desk, month.tickets["G"])
    decided = client.post(
        f"{URL}/{r.json()['id']}/decisions",
        headers=auth(person, **{"If-Match": r.headers["ETag"]}, **staff),
        json={"decision": "accepted", "reason": "Looks fine"},
    )
    assert decided.status_code == 403, decided.text
    # Nor when that person both proposes and decides as service level manager and owner.
    grant_staff(desk.tenant, idp, Role.service_level_manager)
    body = {"month": "2026-11", "subjectKind": "ticket", "subjectId": month.id("B"), "reason": "x"}
    own = client.post(URL, headers=auth(person, **staff), json=body)
    assert own.status_code == 201, own.text
    again = client.post(
        f"{URL}/{own.json()['id']}/decisions",
        headers=auth(person, **{"If-Match": own.headers["ETag"]}, **staff),
        json={"decision": "accepted", "reason": "Mine"},
    )
    assert again.status_code == 403
    viewer = make_token(desk.tenant, VIEWER)
    figures = client.get("/api/v1/kpis", params={"period": "2026-11"}, headers=auth(viewer))
    assert figures.json()["response"]["missed"] == 2  # neither took anything out


def test_bad_proposals_are_400_naming_every_field(client, desk) -> None:
    month = build_november(desk)
    r = _propose(client, desk, month.tickets["G"], month="2026-13", reason="")
    assert r.status_code == 400
    assert {p["name"] for p in r.json()["invalidParams"]} == {"month", "reason"}
    unknown = _propose(client, desk, {"id": "0190c1d2-0000-7000-8000-000000000000"})
    assert unknown.status_code == 400
    assert [p["name"] for p in unknown.json()["invalidParams"]] == ["subjectId"]
    outage = _propose(
        client, desk, {"id": "0190c1d2-0000-7000-8000-000000000001"}, subjectKind="outage"
    )
    assert outage.status_code == 400  # no such outage (tests/services/test_kpi_availability.py)
    assert [p["name"] for p in outage.json()["invalidParams"]] == ["subjectId"]


def test_a_retried_proposal_is_replayed(client, desk) -> None:
    month = build_november(desk)
    manager = make_token(desk.tenant, MANAGER)
    body = {
        "month": "2026-11",
        "subjectKind": "ticket",
        "subjectId": month.id("G"),
        "reason": "Third-party outage",
    }
    headers = auth(manager, **{"Idempotency-Key": "exclusion-1"})
    first = client.post(URL, headers=headers, json=body)
    second = client.post(URL, headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    viewer = make_token(desk.tenant, VIEWER)
    assert len(client.get(URL, headers=auth(viewer)).json()["items"]) == 1


def test_list_filters_and_pages(client, desk) -> None:
    month = build_november(desk)
    viewer = make_token(desk.tenant, VIEWER)
    made = [_propose(client, desk, month.tickets[name]).json()["id"] for name in "ABG"]
    exclude_id = made[0]
    page = client.get(URL, params={"limit": 2}, headers=auth(viewer)).json()
    assert [e["id"] for e in page["items"]] == made[:2] and page["nextCursor"]
    rest = client.get(
        URL, params={"limit": 2, "cursor": page["nextCursor"]}, headers=auth(viewer)
    ).json()
    assert [e["id"] for e in rest["items"]] == made[2:] and rest["nextCursor"] is None
    assert client.get(URL, params={"month": "2026-10"}, headers=auth(viewer)).json()["items"] == []
    assert client.get(URL, params={"month": "oct"}, headers=auth(viewer)).status_code == 400
    got = client.get(f"{URL}/{exclude_id}", headers=auth(viewer))
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'


def test_every_step_is_in_the_audit_log(client, desk) -> None:
    month = build_november(desk)
    exclusion_id = exclude(client, desk, month.tickets["G"])
    audited = records(desk.tenant.id, "services_kpi_exclusion")
    assert [e["action"] for e in audited] == ["create", "update"]
    assert {e["entity"]["id"] for e in audited} == {exclusion_id}
    assert audited[1]["changes"]["state"] == {"before": "proposed", "after": "accepted"}
    # The derived facts are not audited.
    assert records(desk.tenant.id, "services_kpi_ticket") == []


def test_another_tenant_gets_404_and_learns_nothing(client, desk, other) -> None:
    month = build_november(desk)
    exclusion_id = exclude(client, desk, month.tickets["G"])
    stranger = make_token(other.tenant, [*VIEWER, kpi.DECIDE])
    r = client.get(f"{URL}/{exclusion_id}", headers=auth(stranger))
    assert r.status_code == 404 and month.id("G") not in r.text
    d = client.post(
        f"{URL}/{exclusion_id}/decisions",
        headers=auth(stranger, **{"If-Match": '"1"'}),
        json={"decision": "rejected", "reason": "No"},
    )
    assert d.status_code == 404
    assert client.get(URL, headers=auth(stranger)).json()["items"] == []
    # Nor can another tenant's manager exclude this tenant's ticket.
    theirs = _propose(client, other, month.tickets["A"])
    assert theirs.status_code == 400
