"""The tenant's change set-up: standard change templates approve their changes, approval
rules name roles with a quorum, and the risk questionnaire weighs the answers."""

from __future__ import annotations

import uuid

from tests.changes.helpers import ANSWERS_LOW, URL, Desk, plan
from tests.factories import auth, make_tenant

TEMPLATES = "/api/v1/change-templates"
RULES = "/api/v1/change-approval-rules"
SETTINGS = "/api/v1/change-settings"


def _template(client, desk: Desk, **overrides) -> dict:
    body = {
        "name": "Certificate renewal",
        "description": "Replace the TLS certificate of a web service.",
        "riskClass": "low",
        "rollbackPlan": plan(),
        **overrides,
    }
    r = client.post(TEMPLATES, headers=auth(desk.configurer), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_standard_change_is_approved_by_its_template(client) -> None:
    desk = Desk(client, make_tenant())
    template = _template(client, desk)
    body = desk.change_body(type="standard", templateId=template["id"])
    body.pop("rollbackPlan")
    change = client.post(URL, headers=auth(desk.writer), json=body).json()
    assert change["rollbackPlan"] == template["rollbackPlan"]
    approved = desk.move(change, "submitted")
    assert approved["status"] == "approved" and approved["riskClass"] == "low"
    assert desk.history(change)[-1]["reason"] == "Pre-approved: Certificate renewal"
    assert desk.move(change, "scheduled")["status"] == "scheduled"


def test_an_inactive_or_foreign_template_raises_nothing(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    template = _template(client, desk)
    theirs = _template(client, other)
    r = client.patch(
        f"{TEMPLATES}/{template['id']}",
        headers=auth(desk.configurer, **{"If-Match": '"1"'}),
        json={"active": False},
    )
    assert r.status_code == 200 and r.json()["active"] is False
    for template_id in (template["id"], theirs["id"]):
        body = desk.change_body(type="standard", templateId=template_id)
        r = client.post(URL, headers=auth(desk.writer), json=body)
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "templateId"
    assert client.get(f"{TEMPLATES}/{theirs['id']}", headers=auth(desk.reader)).status_code == 404
    foreign = client.patch(
        f"{TEMPLATES}/{theirs['id']}",
        headers=auth(desk.configurer, **{"If-Match": '"1"'}),
        json={"active": False},
    )
    assert foreign.status_code == 404
    assert [
        t["name"] for t in client.get(TEMPLATES, headers=auth(desk.reader)).json()["items"]
    ] == ["Certificate renewal"]
    assert client.post(TEMPLATES, headers=auth(desk.writer), json={}).status_code == 403


def test_approval_rules_name_known_roles_once_per_type_and_class(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    bad = client.post(
        RULES,
        headers=auth(desk.configurer),
        json={
            "changeType": "standard",
            "riskClass": "low",
            "approvers": [{"role": "cab-chair", "quorum": 1}, {"role": "cab-chair", "quorum": 2}],
        },
    )
    assert bad.status_code == 400
    assert {p["name"] for p in bad.json()["invalidParams"]} == {
        "approvers.0.role",
        "approvers.1.role",
        "approvers",
        "changeType",
    }
    body = {
        "changeType": "normal",
        "riskClass": "medium",
        "approvers": [{"role": "product-owner"}, {"role": "change-manager", "quorum": 2}],
    }
    r = client.post(RULES, headers=auth(desk.configurer), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["approvers"][0] == {"role": "product-owner", "quorum": 1}
    assert client.post(RULES, headers=auth(desk.configurer), json=body).status_code == 409
    rule = r.json()
    path = f"{RULES}/{rule['id']}"
    new = {"approvers": [{"role": "service-owner", "quorum": 1}]}
    assert client.patch(path, headers=auth(desk.configurer), json=new).status_code == 428
    ok = client.patch(path, headers=auth(desk.configurer, **{"If-Match": '"1"'}), json=new)
    assert ok.status_code == 200 and ok.json()["approvers"] == new["approvers"]
    assert client.get(path, headers=auth(other.reader)).status_code == 404
    theirs = client.patch(path, headers=auth(other.configurer, **{"If-Match": '"2"'}), json=new)
    assert theirs.status_code == 404
    assert client.get(RULES, headers=auth(other.reader)).json()["items"] == []


def test_the_questionnaire_weighs_answers_and_an_assessment_keeps_its_own(client) -> None:
    desk = Desk(client, make_tenant())
    current = client.get(SETTINGS, headers=auth(desk.reader))
    assert current.status_code == 200 and current.json()["mediumFrom"] == 4
    change = desk.move(desk.create(), "submitted")
    wrong = desk.act(change, "risk-assessments", {"answers": {"downtime": "forever", "mood": "ok"}})
    assert wrong.status_code == 400
    assert {p["name"] for p in wrong.json()["invalidParams"]} == {
        "answers.mood",
        "answers.downtime",
        "answers.reversible",
        "answers.experience",
    }
    assessed = desk.assess(change, ANSWERS_LOW)
    questions = [
        {
            "key": "users",
            "text": "How many users notice the change?",
            "answers": [
                {"key": "few", "text": "A few", "weight": 1},
                {"key": "all", "text": "All", "weight": 9},
            ],
        }
    ]
    bad = client.patch(
        SETTINGS,
        headers=auth(desk.configurer, **{"If-Match": current.headers["etag"]}),
        json={"mediumFrom": 5, "highFrom": 5},
    )
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "highFrom"
    r = client.patch(
        SETTINGS,
        headers=auth(desk.configurer, **{"If-Match": current.headers["etag"]}),
        json={"questions": questions, "highFrom": 9},
    )
    assert r.status_code == 200, r.text
    assert r.json()["questions"][0]["key"] == "users" and r.headers["etag"] == '"2"'
    assert desk.get(assessed)["riskAnswers"] == assessed["riskAnswers"]
    fresh = desk.move(desk.create(), "submitted")
    assert desk.assess(fresh, {"users": "all"})["riskClass"] == "high"
    assert client.patch(SETTINGS, headers=auth(desk.writer), json={}).status_code == 403


def test_an_unknown_template_id_is_404(client) -> None:
    desk = Desk(client, make_tenant())
    r = client.get(f"{TEMPLATES}/{uuid.uuid4()}", headers=auth(desk.reader))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
