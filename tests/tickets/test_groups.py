"""Changing an assignment group: its manager, name and activity, under If-Match."""

from __future__ import annotations

import uuid
from typing import Any

from tests.audit.helpers import records
from tests.factories import auth


def patch(desk: Any, group: dict[str, Any], body: dict[str, Any], **kw: Any) -> Any:
    token = kw.pop("token", desk.admin)
    tag = kw.pop("if_match", None)
    if tag is None:
        tag = desk.client.get(
            f"/api/v1/assignment-groups/{group['id']}", headers=auth(desk.admin)
        ).headers["ETag"]
    headers = auth(token, **{"If-Match": tag}) if tag else auth(token)
    return desk.client.patch(f"/api/v1/assignment-groups/{group['id']}", headers=headers, json=body)


MANAGER = {"managerId": str(uuid.uuid4()), "managerName": "M. de Boer"}


def test_a_manager_set_later_receives_hierarchical_escalations(desk) -> None:
    group = desk.group("Service desk", "1")
    ticket = desk.report()
    desk.act(ticket, "assignments", {"groupId": group["id"]})
    escalate = {"kind": "hierarchical", "reason": "Client director called"}
    assert desk.act(ticket, "escalations", escalate).status_code == 409
    r = patch(desk, group, MANAGER)
    assert r.status_code == 200, r.text
    assert (r.json()["managerName"], r.json()["version"]) == ("M. de Boer", 2)
    assert r.headers["ETag"] == '"2"'
    assert desk.act(ticket, "escalations", escalate).status_code == 200
    changed = records(desk.tenant.id, "tickets_group")[-1]
    assert changed["action"] == "update"
    assert changed["changes"]["manager_name"] == {"before": None, "after": "M. de Boer"}


def test_a_group_change_needs_the_current_etag(desk) -> None:
    group = desk.group("Service desk", "1")
    assert patch(desk, group, {"name": "Desk"}, if_match="").status_code == 428
    assert patch(desk, group, {"name": "Desk"}).status_code == 200
    stale = patch(desk, group, {"name": "Front desk"}, if_match='"1"')
    assert stale.status_code == 412
    assert (
        desk.client.get(
            f"/api/v1/assignment-groups/{group['id']}", headers=auth(desk.admin)
        ).json()["name"]
        == "Desk"
    )


def test_invalid_group_changes_are_refused_and_change_nothing(desk) -> None:
    group = desk.group("Service desk", "1")
    desk.group("Second line", "2")
    half = patch(desk, group, {"managerId": str(uuid.uuid4())})
    assert half.status_code == 400
    assert [p["name"] for p in half.json()["invalidParams"]] == ["managerName"]
    nulls = patch(desk, group, {"name": None, "active": None})
    assert [p["name"] for p in nulls.json()["invalidParams"]] == ["name", "active"]
    assert patch(desk, group, {"name": "Second line"}).status_code == 409
    assert patch(desk, group, {"line": "2"}).status_code == 400  # the line stays
    assert patch(desk, group, {"name": "X"}, token=desk.agent).status_code == 403
    after = desk.client.get(f"/api/v1/assignment-groups/{group['id']}", headers=auth(desk.admin))
    assert (after.json()["name"], after.json()["version"]) == ("Service desk", 1)


def test_another_tenant_cannot_change_a_group(desk, other) -> None:
    group = desk.group("Service desk", "1")
    r = patch(other, group, MANAGER, if_match='"1"')
    assert r.status_code == 404
    assert r.json()["detail"] == f"No assignment group with id {group['id']}."
    mine = desk.client.get(f"/api/v1/assignment-groups/{group['id']}", headers=auth(desk.admin))
    assert mine.json()["managerId"] is None
