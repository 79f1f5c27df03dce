"""Full-text search over tickets: Dutch and English word forms, combined with filters, per
tenant. The same tests run on PostgreSQL (tsvector + GIN) and SQLite (FTS5)."""

from __future__ import annotations

from tests.factories import auth


def _search(desk, query: str, **params: str) -> list[str]:
    r = desk.client.get("/api/v1/tickets", params={"q": query, **params}, headers=auth(desk.agent))
    assert r.status_code == 200, r.text
    return [t["number"] for t in r.json()["items"]]


def test_dutch_and_english_word_forms_find_the_ticket(desk) -> None:
    printer = desk.report(
        title="Printers op de tweede verdieping", description="Alle storingen sinds maandag"
    )
    login = desk.report(
        title="Login failed", description="Users failing to sign in since the update"
    )
    assert _search(desk, "printer") == [printer["number"]]
    assert _search(desk, "storing") == [printer["number"]]  # Dutch plural and singular
    assert _search(desk, "fails") == [login["number"]]  # English inflections
    assert _search(desk, "printer storing") == [printer["number"]]  # every word must match
    assert _search(desk, "printer update") == []


def test_search_combines_with_filters_and_paging(desk) -> None:
    for i in range(3):
        desk.report(title=f"Koppeling met archief {i}", impact="low", urgency="low")
    desk.report(title="Koppeling met archief urgent", impact="high", urgency="high")
    assert len(_search(desk, "koppelingen")) == 4
    assert len(_search(desk, "koppeling", priority="urgent")) == 1
    first = desk.client.get(
        "/api/v1/tickets", params={"q": "archief", "limit": 2}, headers=auth(desk.agent)
    ).json()
    rest = desk.client.get(
        "/api/v1/tickets",
        params={"q": "archief", "limit": 2, "cursor": first["nextCursor"]},
        headers=auth(desk.agent),
    ).json()
    numbers = [t["number"] for t in first["items"] + rest["items"]]
    assert len(set(numbers)) == 4 and rest["nextCursor"] is None


def test_an_edited_title_is_searchable_and_the_old_words_are_gone(desk) -> None:
    ticket = desk.report(title="Scanner weigert", description="Geen verbinding")
    r = desk.client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        headers=auth(desk.agent, **{"If-Match": '"1"'}),
        json={"title": "Mailbox vol", "description": "Quota bereikt"},
    )
    assert r.status_code == 200
    assert _search(desk, "scanner") == [] and _search(desk, "mailbox") == [ticket["number"]]


def test_search_never_crosses_tenants(desk, other) -> None:
    desk.report(title="Vertrouwelijk dossierregister")
    assert _search(other, "dossierregister") == []


def test_queries_without_words_return_the_plain_list(desk) -> None:
    desk.report()
    assert len(_search(desk, "  ** ")) == 1


def _message(desk, ticket, body: str, visibility: str = "public", token: str | None = None):
    r = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(token or desk.agent),
        json={"body": body, "visibility": visibility},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_replies_are_searched_and_internal_notes_only_by_agents(desk) -> None:
    ticket = desk.report(title="Scherm blijft zwart", description="Na het opstarten")
    _message(desk, ticket, "De videokaarten zijn vervangen door de leverancier")
    _message(desk, ticket, "Intern: firmware bijgewerkt", visibility="internal")
    assert _search(desk, "videokaart") == [ticket["number"]]
    assert _search(desk, "firmware") == [ticket["number"]]
    reporter = desk.client.get(
        "/api/v1/tickets", params={"q": "firmware"}, headers=auth(desk.reporter)
    )
    assert reporter.json()["items"] == []
    reporter = desk.client.get(
        "/api/v1/tickets", params={"q": "videokaart"}, headers=auth(desk.reporter)
    )
    assert [t["number"] for t in reporter.json()["items"]] == [ticket["number"]]
