"""A change from draft to closed: submitted with its rollback plan, assessed, approved by
the client's product owner and the supplier's change manager, scheduled, implemented; every
step a history row. And every refusal on the way."""

from __future__ import annotations

import uuid

from changes import workflow
from core.db import unit_of_work
from core.identity.roles import Role
from tests.changes.helpers import ANSWERS_HIGH, URL, grant, plan, window
from tests.factories import auth, make_worker


def _submitted(cab, **overrides):
    change = cab.create(**overrides)
    return cab.move(change, "submitted")


def test_the_whole_life_of_a_normal_change(client, cab) -> None:
    change = _submitted(cab)
    assert change["status"] == "submitted"
    assert change["impact"] == {
        "services": 1,
        "tenants": 1,
        "openIncidents": 0,
        "cis": 0,
        "reachedCis": 0,
    }
    assessed = cab.assess(change)
    assert assessed["status"] == "assessed" and assessed["riskClass"] == "low"
    assert assessed["riskScore"] == 0
    assert assessed["riskAnswers"][0] == {
        "question": "downtime",
        "questionText": "Does the change make a service unavailable?",
        "answer": "none",
        "answerText": "No",
        "weight": 0,
    }
    assert assessed["approvers"] == [
        {"role": "product-owner", "quorum": 1},
        {"role": "change-manager", "quorum": 1},
    ]
    r = cab.vote(change, "po")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "assessed"  # the change manager has not approved yet
    r = cab.vote(change, "cm")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["approvedAt"]
    for status in ("scheduled", "implementing", "implemented", "closed"):
        assert cab.move(change, status)["status"] == status
    kinds = [(e["kind"], e["toValue"]) for e in cab.history(change)]
    assert kinds == [
        ("created", "draft"),
        ("status", "submitted"),
        ("assessed", "low"),
        ("status", "assessed"),
        ("vote", "approve"),
        ("vote", "approve"),
        ("status", "approved"),
        ("status", "scheduled"),
        ("status", "implementing"),
        ("status", "implemented"),
        ("status", "closed"),
    ]
    votes = client.get(f"{URL}/{change['id']}/votes", headers=auth(cab.reader)).json()["items"]
    assert [(v["role"], v["decision"]) for v in votes] == [
        ("product-owner", "approve"),
        ("change-manager", "approve"),
    ]


def test_submitting_names_everything_missing(client, cab) -> None:
    body = cab.change_body()
    for name in ("serviceIds", "plannedStart", "plannedEnd", "rollbackPlan"):
        body.pop(name)
    body.pop("implementerId")
    change = client.post(URL, headers=auth(cab.writer), json=body).json()
    r = cab.act(change, "transitions", {"status": "submitted"})
    assert r.status_code == 422
    assert {p["name"] for p in r.json()["invalidParams"]} == {
        "serviceIds",
        "plannedStart",
        "plannedEnd",
        "implementerId",
        "rollbackPlan",
    }
    assert cab.get(change)["status"] == "draft"


def test_nothing_is_scheduled_or_implemented_unapproved(cab) -> None:
    change = cab.assess(_submitted(cab))
    for status in ("scheduled", "implementing", "implemented", "approved"):
        r = cab.act(change, "transitions", {"status": status})
        assert r.status_code == 409, (status, r.text)
    draft = cab.create()
    assert cab.act(draft, "transitions", {"status": "scheduled"}).status_code == 409
    assert cab.get(change)["status"] == "assessed"


def test_transitions_need_if_match(client, cab) -> None:
    change = cab.create()
    path = f"{URL}/{change['id']}/transitions"
    missing = client.post(path, headers=auth(cab.writer), json={"status": "submitted"})
    assert missing.status_code == 428
    stale = client.post(
        path, headers=auth(cab.writer, **{"If-Match": '"5"'}), json={"status": "submitted"}
    )
    assert stale.status_code == 412
    cancel = cab.act(change, "transitions", {"status": "cancelled"})
    assert cancel.status_code == 400
    assert [p["name"] for p in cancel.json()["invalidParams"]] == ["reason"]


def test_nobody_approves_their_own_change(client, cab) -> None:
    # The change manager raises it and the other change manager implements it.
    body = cab.change_body(implementerId=make_worker(cab.tenant, "cm2", uuid.UUID(cab.oid("cm2"))))
    headers = auth(cab.token("cm"), **{"Regie-Tenant": cab.tenant.slug})
    r = client.post(URL, headers=headers, json=body)
    assert r.status_code == 201, r.text
    change = cab.assess(cab.move(r.json(), "submitted"))
    assert cab.vote(change, "cm").status_code == 403
    assert cab.vote(change, "cm2").status_code == 403
    assert cab.vote(change, "so").status_code == 403  # not a role this change needs
    assert cab.get(change)["status"] == "assessed"


def test_a_vote_is_final_needs_if_match_and_one_rejection_rejects(client, cab) -> None:
    change = cab.assess(_submitted(cab))
    path = f"{URL}/{change['id']}/votes"
    vote = {"decision": "approve", "reason": "Fine"}
    headers = {"Regie-Tenant": cab.tenant.slug}
    missing = client.post(path, headers=auth(cab.token("po"), **headers), json=vote)
    assert missing.status_code == 428
    stale = client.post(
        path, headers=auth(cab.token("po"), **headers, **{"If-Match": '"99"'}), json=vote
    )
    assert stale.status_code == 412
    assert cab.vote(change, "po").status_code == 200
    again = cab.vote(change, "po", "reject")
    assert again.status_code == 409
    rejected = cab.vote(change, "cm", "reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert cab.vote(change, "cm2").status_code == 409  # no longer awaiting approval
    assert cab.move(change, "closed")["status"] == "closed"


def test_high_risk_needs_the_service_owner_and_a_tested_plan(cab) -> None:
    change = cab.create(rollbackPlan=plan(tested=False))
    change = cab.assess(cab.move(change, "submitted"), ANSWERS_HIGH)
    assert change["riskClass"] == "high" and change["riskScore"] == 11
    assert {"role": "service-owner", "quorum": 1} in change["approvers"]
    untested = cab.vote(change, "po")
    assert untested.status_code == 409
    assert untested.json()["type"].endswith("untested-rollback-plan")
    r = cab.act(change, "rollback-tests", plan()["test"])
    assert r.status_code == 200 and r.json()["rollbackPlan"]["test"]["testedBy"] == "J. de Vries"
    for name in ("po", "cm"):
        assert cab.vote(change, name).json()["status"] == "assessed"
    assert cab.vote(change, "so").json()["status"] == "approved"


def test_a_quorum_of_two_product_owners(client, cab) -> None:
    rule = {
        "changeType": "normal",
        "riskClass": "low",
        "approvers": [{"role": "product-owner", "quorum": 2}],
    }
    r = client.post("/api/v1/change-approval-rules", headers=auth(cab.configurer), json=rule)
    assert r.status_code == 201, r.text
    change = cab.assess(_submitted(cab))
    assert change["approvers"] == [{"role": "product-owner", "quorum": 2}]
    assert cab.vote(change, "po").json()["status"] == "assessed"
    assert cab.vote(change, "cm").status_code == 403
    assert cab.vote(change, "po2").json()["status"] == "approved"


def test_an_emergency_defers_the_test_but_is_flagged_until_it_is_recorded(cab) -> None:
    change = cab.create(type="emergency", rollbackPlan=plan(tested=False))
    assert change["flags"] == ["rollback-test-pending"]
    change = cab.assess(cab.move(change, "submitted"))
    assert change["approvers"] == [{"role": "change-manager", "quorum": 1}]
    approved = cab.vote(change, "cm")
    assert approved.json()["status"] == "approved"
    assert approved.json()["flags"] == ["rollback-test-pending"]
    assert cab.get(change)["flags"] == ["rollback-test-pending"]
    tested = cab.act(change, "rollback-tests", plan()["test"])
    assert tested.json()["flags"] == []
    assert cab.get(change)["flags"] == []
    assert cab.history(change)[-1]["kind"] == "rollback-tested"
    # Without any plan an emergency is not submitted either.
    bare = cab.change_body(type="emergency")
    bare.pop("rollbackPlan")
    no_plan = cab.client.post(URL, headers=auth(cab.writer), json=bare).json()
    r = cab.act(no_plan, "transitions", {"status": "submitted"})
    assert r.status_code == 422 and r.json()["invalidParams"][0]["name"] == "rollbackPlan"


def test_a_rollback_is_an_event_with_start_end_and_outcome(client, cab) -> None:
    change = cab.assess(_submitted(cab))
    cab.vote(change, "po"), cab.vote(change, "cm")
    for status in ("scheduled", "implementing"):
        cab.move(change, status)
    times = window(days=-1, hours=1)
    bad = cab.act(
        change,
        "rollbacks",
        {"startedAt": times["plannedEnd"], "endedAt": times["plannedStart"], "outcome": "restored"},
    )
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "endedAt"
    r = cab.act(
        change,
        "rollbacks",
        {"startedAt": times["plannedStart"], "endedAt": times["plannedEnd"], "outcome": "restored"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rolled-back"
    rows = client.get(f"{URL}/{change['id']}/rollbacks", headers=auth(cab.reader)).json()
    assert [x["outcome"] for x in rows["items"]] == ["restored"]
    unreviewed = cab.act(change, "transitions", {"status": "closed"})
    assert unreviewed.status_code == 422
    assert unreviewed.json()["invalidParams"][0]["name"] == "review"


def test_a_change_not_implemented_in_its_window_is_flagged_once(cab) -> None:
    change = cab.assess(_submitted(cab, **window(days=-2)))
    cab.vote(change, "po"), cab.vote(change, "cm")
    late = cab.create(**window(days=-2))  # a draft past its window is no one's worry yet
    with unit_of_work(cab.tenant.id) as session:
        assert [c.number for c in workflow.flag_overdue(session)] == [change["number"]]
    with unit_of_work(cab.tenant.id) as session:
        assert workflow.flag_overdue(session) == []
    assert cab.get(change)["flags"] == ["overdue"]
    assert cab.get(late)["flags"] == []
    assert cab.history(change)[-1]["kind"] == "overdue"


def test_the_scheduled_sweep_flags_every_tenant(cab, other) -> None:
    from changes import tasks

    change = cab.assess(_submitted(cab, **window(days=-2)))
    cab.vote(change, "po"), cab.vote(change, "cm")
    other.create(**window(days=-2))
    assert tasks.flag_overdue() == 1
    assert tasks.flag_overdue() == 0
    assert cab.get(change)["flags"] == ["overdue"]


def test_a_clients_role_counts_only_for_the_clients_own_people(client, cab) -> None:
    grant(cab.tenant, cab.idp, "cm2", Role.product_owner)  # a supplier person, granted it
    rule = {
        "changeType": "normal",
        "riskClass": "low",
        "approvers": [{"role": "product-owner", "quorum": 1}],
    }
    r = client.post("/api/v1/change-approval-rules", headers=auth(cab.configurer), json=rule)
    assert r.status_code == 201, r.text
    change = cab.assess(_submitted(cab))
    assert cab.vote(change, "cm2").status_code == 403
    assert cab.vote(change, "po").json()["status"] == "approved"
