"""The review form of a change names the incidents it caused: the tenant's incidents raised
since the change are offered, the chosen ones are kept with the review and shown by number;
another tenant's incident is refused with the field named."""

from __future__ import annotations

from tests.changes.helpers import Desk
from tests.factories import make_tenant
from tests.regie import test_web_changes as changes
from tests.regie.test_web_changes import fields_of, plan_and_submit, post, raise_change, step
from tests.tickets.helpers import Desk as TicketDesk

# The fixtures of the change pages: the client's directory with carla, paul and rita.
idp, tenant, desk, people = changes.idp, changes.tenant, changes.desk, changes.people


def implemented(people, desk: Desk) -> str:
    carla, paul = people["carla"], people["paul"]
    at = raise_change(carla, desk)
    plan_and_submit(carla, at)
    voted = post(paul, f"{at}/votes", paul.get(at).text, {"decision": "approve", "reason": "OK"})
    assert voted.status_code == 303, voted.text
    for status in ("scheduled", "implementing", "implemented"):
        assert step(carla, at, status).status_code == 303
    return at


def test_the_review_names_the_incidents_the_change_caused(people, desk, client) -> None:
    carla = people["carla"]
    at = implemented(people, desk)
    caused = TicketDesk(client, desk.tenant).report(title="Cases do not open since 4.3")
    page = carla.get(f"{at}?lang=en").text
    assert "Incidents the change caused" in page and caused["number"] in page
    theirs = TicketDesk(client, make_tenant()).report()
    refused = carla.post(
        f"{at}/review?lang=en",
        data={
            **fields_of(page),
            "outcome": "successful-with-issues",
            "lessons": "Test the search index.",
            "incidentIds": [theirs["id"]],
        },
    )
    assert refused.status_code == 400
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Incidents the change caused: Choose incidents of this organisation." in summary
    assert theirs["number"] not in refused.text

    reviewed = carla.post(
        f"{at}/review",
        data={
            **fields_of(carla.get(at).text),
            "outcome": "successful-with-issues",
            "lessons": "Test the search index.",
            "incidentIds": [caused["id"]],
        },
    )
    assert reviewed.status_code == 303, reviewed.text
    shown = carla.get(at).text.split('class="caused"')[1].split("</dd>")[0]
    assert f'href="/tickets/{caused["id"]}"' in shown and caused["number"] in shown
    assert "Incidenten die de wijziging veroorzaakte" in carla.get(at).text
