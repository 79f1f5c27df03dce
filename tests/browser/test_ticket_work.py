"""An agent's daily work on one ticket in Chromium: a reply and an internal note, a file,
the clocks' timeline, and each form's error shown at its field, within axe and a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import Site
from tests.browser.test_pages import report_incident
from tests.regie.test_web_ticket_actions import PNG

pytestmark = pytest.mark.browser


def test_reply_note_attachment_and_clocks(site: Site, tmp_path: Path) -> None:
    site.sign_in()
    report_incident(site)
    page = site.page
    page.fill("#message-body", "We kijken ernaar.")
    page.locator("#conversation ~ form button[type=submit]").first.click()
    page.wait_for_url("**#conversation")
    page.fill("#message-body", "Logbestanden nagekeken.")
    page.check("#visibility-internal")
    page.locator("#conversation ~ form button[type=submit]").first.click()
    page.locator("li.message.internal").wait_for()
    assert page.locator("li.message").count() == 2
    picture = tmp_path / "scherm.png"
    picture.write_bytes(PNG)
    page.set_input_files("#attachment-file", str(picture))
    page.locator("#attachments ~ form button[type=submit]").first.click()
    page.locator("ul.attachments a").wait_for()
    page.locator("details.timeline summary").first.click()
    site.check("ticket-work")
    page.locator("#escalate ~ form button[type=submit]").first.evaluate(
        "b => b.form.noValidate = true"
    )
    page.locator("#escalate ~ form button[type=submit]").first.click()
    page.locator("#escalate-reason-error").wait_for()
    site.check("ticket-work-error")
    site.forgive_document_status()
