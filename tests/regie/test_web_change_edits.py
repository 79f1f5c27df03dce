"""A draft change's details are edited on its page (a stale form and a change past its draft
are refused with a page that says why); the review form names the incidents the change
caused: the tenant's incidents raised since the change are offered, the chosen ones are kept
with the review and shown by number; another tenant's incident is refused with the field
named."""

from __future__ import annotations

from tests.changes.helpers import Desk
from tests.core.test_web_signin import csrf_of
from tests.factories import make_tenant
from tests.regie import test_web_changes as changes
from tests.regie.test_web_changes import (
    fields_of,
    local,
    plan_and_submit,
    post,
    raise_change,
    step,
)
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


def test_a_draft_is_edited_and_a_stale_form_changes_nothing(people, desk, client) -> None:
    carla = people["carla"]
    at = raise_change(carla, desk)
    assert f'href="{at}/edit"' in carla.get(at).text
    form = carla.get(f"{at}/edit?lang=en").text
    assert 'value="Upgrade the case system"' in form
    fields = {
        **fields_of(form),
        "title": "Upgrade the case system to 4.3.1",
        "description": "New release 4.3.1.",
        "reason": "4.2 is out of support.",
        "serviceIds": desk.services,
        "plannedStart": local(4, 1),
        "plannedEnd": local(4, 2),
        "causesDowntime": "1",
    }
    saved = carla.post(f"{at}/details", data=fields)
    assert saved.status_code == 303, saved.text
    page = carla.get(f"{at}?lang=en").text
    assert "Upgrade the case system to 4.3.1" in page and "New release 4.3.1." in page
    assert "<dt>Services down during the window</dt><dd>Yes</dd>" in page

    stale = carla.post(f"{at}/details", data={**fields, "title": "Something else"})
    assert stale.status_code == 412
    assert "Iemand anders heeft deze wijziging gewijzigd" in stale.text
    assert "Something else" not in carla.get(at).text

    fresh = fields_of(carla.get(f"{at}/edit").text)
    for wrong, said in (
        ({"title": ""}, "Title: This field is required."),
        ({"plannedStart": local(4, 3)}, "Planned end: The end must lie after the start."),
    ):
        refused = carla.post(f"{at}/details?lang=en", data={**fields, **fresh, **wrong})
        assert refused.status_code == 400
        summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
        assert said in summary

    plan_and_submit(carla, at)
    assert f'href="{at}/edit"' not in carla.get(at).text
    late = carla.get(f"{at}/edit?lang=en")
    assert late.status_code == 409 and "Only a draft change is edited" in late.text
    assert 'action="/changes/' not in late.text


def test_others_cannot_edit_a_draft(people, desk, client) -> None:
    at = raise_change(people["carla"], desk)
    assert people["rita"].get(f"{at}/edit").status_code == 403
    theirs = Desk(client, make_tenant()).create()
    carla = people["carla"]
    answer = carla.get(f"/changes/{theirs['id']}/edit")
    assert answer.status_code == 404 and theirs["number"] not in answer.text
    posted = carla.post(
        f"/changes/{theirs['id']}/details",
        data={"csrf": csrf_of(carla.get(f"{at}/edit").text), "version": "1", "title": "Mine"},
    )
    assert posted.status_code == 404 and theirs["number"] not in posted.text


def test_the_implementer_is_chosen_from_the_assignment_groups(people, desk, client) -> None:
    carla = people["carla"]
    at = raise_change(carla, desk)
    theirs = Desk(client, make_tenant())
    form = carla.get(f"{at}/edit?lang=en").text
    assert f'<option value="{desk.implementer}">P. Jansen</option>' in form
    assert theirs.implementer not in form
    was = changes.my_id(form)  # raised with "Me"
    assert f'name="implementerWas" value="{was}"' in form

    def save(implementer: str) -> object:
        page = carla.get(f"{at}/edit").text
        fields = {
            **fields_of(page),
            "title": "Upgrade the case system",
            "description": "New release 4.3.",
            "reason": "4.2 is out of support.",
            "serviceIds": desk.services[:1],
            "implementerId": implementer,
            "implementerWas": was,
        }
        return carla.post(f"{at}/details?lang=en", data=fields)

    refused = save(theirs.implementer)
    assert refused.status_code == 400
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Implementer: Choose yourself or a member of an assignment group" in summary
    assert save(desk.implementer).status_code == 303
    assert "<dt>Implementer</dt><dd>P. Jansen</dd>" in carla.get(f"{at}?lang=en").text
    was = desk.implementer
    assert save("").status_code == 303
    assert "<dt>Implementer</dt><dd>\u2013</dd>" in carla.get(f"{at}?lang=en").text  # a dash
