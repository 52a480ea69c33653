"""A rendered mail opened in Chromium: valid HTML, no axe-core violations, and a screenshot in
test-artifacts/ to look at."""

import base64
import os

import pytest

from terminvergabe.notify import mails, qr
from tests.browser.conftest import (  # noqa: F401  (fixtures used by name)
    CHROMIUM,
    browser_type_launch_args,
    check_axe,
    check_html,
    missing,
    screenshot,
)

from .test_snapshots import fixed_payload


def with_inline_image(html: str, payload: dict, cid: str) -> str:
    """A browser cannot resolve cid: links; put the same PNG in as a data URL."""
    png = qr.png(qr.checkin_credential(payload["checkin_token"]))
    data = "data:image/png;base64," + base64.b64encode(png).decode()
    return html.replace(f"cid:{cid}", data)


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["de", "en", "ar"])
def test_confirmation_mail_in_chromium(app_ctx, mail_office, now, locale, browser):
    """Uses pytest-playwright's browser: a second sync Playwright inside its running event
    loop is refused."""
    if not os.path.exists(CHROMIUM):
        missing("Chromium")
    payload = fixed_payload(mail_office, now, locale, "confirmed", {})
    _, _, html = mails.render("confirmed", payload, "qr@localhost")
    html = with_inline_image(html, payload, "qr@localhost")
    check_html(html, f"confirmation mail ({locale})")
    page = browser.new_page(viewport={"width": 700, "height": 900})
    try:
        page.set_content(html)
        assert page.locator("img").evaluate("img => img.naturalWidth") > 0
        check_axe(page)
        screenshot(page, f"mail-confirmed-{locale}")
    finally:
        page.close()
