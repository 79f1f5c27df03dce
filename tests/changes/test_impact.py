"""A CI's impact names the approved, scheduled and implementing changes that touch the CI,
a CI resting on it or a service standing for one, with the path; never another tenant's."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import select

from changes import permissions as p
from changes.models import Change
from cmdb import permissions as cp
from core.db import unit_of_work
from services.catalogue.models import CatalogueEntry
from tests.changes.helpers import Desk, plan
from tests.cmdb.helpers import Cmdb
from tests.factories import auth, make_tenant, make_token


def _template(desk: Desk) -> dict[str, Any]:
    r = desk.client.post(
        "/api/v1/change-templates",
        headers=auth(desk.configurer),
        json={"name": "Patch", "description": "Monthly patches", "rollbackPlan": plan()},
    )
    assert r.status_code == 201, r.text
    return r.json()


def _change(desk: Desk, template: dict[str, Any], *steps: str, **body: Any) -> dict[str, Any]:
    change = desk.create(type="standard", templateId=template["id"], **body)
    for status in steps:
        change = desk.move(change, status)
    return change


def _impact(desk: Desk, ci: dict[str, Any], token: str) -> Any:
    r = desk.client.get(f"/api/v1/cis/{ci['id']}/impact", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_impact_names_scheduled_changes_on_affected_cis_and_services(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    cmdb = Cmdb(client, desk.tenant)
    host, app, portal, lone = (cmdb.ci(n) for n in ["host", "app", "portal", "lone"])
    assert cmdb.relate(app, "runs-on", host).status_code == 201
    assert cmdb.relate(portal, "depends-on", app).status_code == 201
    service, spare = desk.services
    with unit_of_work(desk.tenant.id) as session:
        entry = select(CatalogueEntry).where(CatalogueEntry.id == uuid.UUID(service))
        session.exec(entry).one().ci_id = uuid.UUID(portal["id"])
    template = _template(desk)
    no_service: dict[str, Any] = {"serviceIds": [spare]}
    on_host = _change(desk, template, "submitted", ciIds=[host["id"]], **no_service)
    on_app = _change(desk, template, "submitted", "scheduled", ciIds=[app["id"]], **no_service)
    on_service = _change(desk, template, "submitted", "scheduled", "implementing")
    # both the app and the service: reached through the nearer one, the app
    both = _change(desk, template, "submitted", ciIds=[lone["id"], app["id"]], serviceIds=[service])
    _change(desk, template, ciIds=[host["id"]], **no_service)  # a draft
    _change(
        desk, template, "submitted", "scheduled", "implementing", "implemented",
        ciIds=[host["id"]], **no_service,
    )  # fmt: skip
    _change(desk, template, "submitted", ciIds=[lone["id"]], **no_service)  # not affected
    # Another tenant's change naming this tenant's CI id (only possible behind the API's back).
    theirs = _change(other, _template(other), "submitted")
    with unit_of_work(other.tenant.id) as session:
        row = session.exec(select(Change).where(Change.id == uuid.UUID(theirs["id"]))).one()
        row.ci_ids = [host["id"]]
        row.service_ids = [service]

    staff = make_token(desk.tenant, [cp.READ, p.READ])
    answer = _impact(desk, host, staff)
    assert len(answer["cis"]) == 2 and answer["services"] is None
    got = [
        (c["number"], c["status"], c["ciId"], c["serviceId"], c["path"]) for c in answer["changes"]
    ]
    assert got == [
        (on_host["number"], "approved", host["id"], None, [host["id"]]),
        (on_app["number"], "scheduled", app["id"], None, [host["id"], app["id"]]),
        (both["number"], "approved", app["id"], None, [host["id"], app["id"]]),
        (
            on_service["number"],
            "implementing",
            portal["id"],
            service,
            [host["id"], app["id"], portal["id"]],
        ),
    ]
    assert answer["changes"][0]["plannedStart"] == on_host["plannedStart"]
    # From the portal upwards only the changes naming its service touch anything.
    assert {
        (c["number"], c["serviceId"], len(c["path"]))
        for c in _impact(desk, portal, staff)["changes"]
    } == {
        (on_service["number"], service, 1),
        (both["number"], service, 1),
    }
    # Without changes:read the list is null, not empty.
    assert _impact(desk, host, cmdb.reader)["changes"] is None
    # The other tenant asks about the same CI id: not found, nothing of either change.
    r = client.get(
        f"/api/v1/cis/{host['id']}/impact",
        headers=auth(make_token(other.tenant, [cp.READ, p.READ])),
    )
    assert r.status_code == 404 and theirs["number"] not in r.text
