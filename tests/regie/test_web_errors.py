"""Error pages: a browser navigation gets HTML in its language with the correlation id, while
the API and every caller that does not ask for HTML keep problem+json."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.api import problems
from core.api.middleware import HttpConventions
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from regie.web.errors import BrowserErrors

PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
TITLES = {
    400: ("Ongeldig verzoek", "Invalid request"),
    403: ("Niet toegestaan", "Not allowed"),
    404: ("Niet gevonden", "Not found"),
    409: ("Niet mogelijk", "Not possible"),
    500: ("Er ging iets mis", "Something went wrong"),
}
RAISED = {
    400: InvalidInput("Bad input."),
    403: Forbidden("No."),
    404: NotFound("Nothing here."),
    409: Conflict("Not now."),
    500: RuntimeError("internal detail in /srv/regie/core.py"),
}


@pytest.fixture(scope="module")
def failing() -> TestClient:
    """An app shaped like Regie's (problem handler, conventions, error pages) whose page
    `/fails/{status}` fails with that status."""
    app = FastAPI()

    @app.get("/fails/{status}")
    def fails(status: int) -> None:
        raise RAISED[status]

    problems.install(app)
    app.add_middleware(HttpConventions, api_version="1.0.0", max_body=1024, ui_csp="x")
    app.add_middleware(BrowserErrors)
    return TestClient(app, raise_server_exceptions=False)


def _assert_page(r, status: int, lang: str) -> None:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in r.text
    title = TITLES[status][0 if lang == "nl" else 1]
    assert f"<title>{title} \u2013 Regie</title>" in r.text, r.text[:400]
    assert f'<code class="correlation">{r.headers["x-request-id"]}</code>' in r.text
    assert "detail" not in r.text and "/srv/" not in r.text


@pytest.mark.parametrize("status", sorted(RAISED))
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_error_is_a_page_in_the_language_with_the_correlation_id(
    failing, status: int, lang: str
) -> None:
    r = failing.get(f"/fails/{status}", headers={**PAGE, "Accept-Language": lang})
    _assert_page(r, status, lang)


def test_callers_that_do_not_ask_for_html_keep_problem_json(failing) -> None:
    r = failing.get("/fails/404")
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["correlationId"] == r.headers["x-request-id"]


def test_unknown_pages_and_organisations_answer_a_page(app) -> None:
    browser = TestClient(app, base_url="https://testserver")
    _assert_page(browser.get("/no-such-page?lang=en", headers=PAGE), 404, "en")
    dutch = {**PAGE, "Accept-Language": "nl"}
    _assert_page(browser.get("/sign-in?tenant=unknown", headers=dutch), 404, "nl")
    _assert_page(browser.get("/sign-in?tenant=Not!Valid&lang=en", headers=PAGE), 400, "en")


def test_the_api_answers_problem_json_to_browsers_too(app) -> None:
    r = TestClient(app).get("/api/v1/no-such-thing", headers=PAGE)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
