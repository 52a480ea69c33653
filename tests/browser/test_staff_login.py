"""The staff sign-in pages in every language, through axe-core and the Nu Html Checker: the login
page with "Sign in with <provider>" (a real OIDC provider over HTTP), its error state, setting up
two-step sign-in (required by the administrator), the code after the password, and the page of
an account without access. Screenshots at 390 px wide in German and Arabic."""

import re

import pyotp
import pytest

from terminvergabe.auth import oidc
from terminvergabe.db import db
from terminvergabe.time import now
from tests.auth.servers import Provider
from tests.auth.staff import PASSWORD, create_staff_set
from tests.browser.conftest import check_page, screenshot

LANGUAGES = ["de", "en", "tr", "ar", "uk"]
PHONE = {"width": 390, "height": 844}
SHOTS = {"de", "ar"}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User

    provider = Provider(users=[User(sub="u-nobody", claims={"name": "No Body", "groups": []})])
    yield provider
    provider.stop()


@pytest.fixture
def sso(app, provider, live_server, monkeypatch):
    settings = {
        # The provider sends the browser back to the address the app names: the live server's.
        "SERVER_NAME": f"127.0.0.1:{live_server.port}",
        "STAFF_OIDC_DISCOVERY_URL": provider.discovery_url,
        "STAFF_OIDC_CLIENT_ID": "terminvergabe",
        "STAFF_OIDC_CLIENT_SECRET": "client secret value",
        "STAFF_OIDC_PROVIDER_NAME": "Stadtkonto",
        "STAFF_REQUIRE_TOTP": True,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    oidc.init_app(app)
    yield app
    app.extensions.pop("staff_oidc", None)
    app.extensions.pop("authlib.integrations.flask_client", None)


def shot(page, lang: str, name: str) -> None:
    if lang in SHOTS:
        screenshot(page, f"staff-login-{lang}-{name}")


def secret_on(page) -> str:
    return page.locator(".totp-secret").inner_text().replace(" ", "")


def submit(page, button: str) -> None:
    """Send a form and wait for the page it leads to (the URL can change before its content
    is there)."""
    with page.expect_navigation():
        page.click(button)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_pages(browser, live_server, sso, office, lang):
    create_staff_set(office)
    db.session.commit()
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url()}])
    page = context.new_page()
    try:
        page.goto(live_server.url("/staff/login"))
        assert page.locator("a[href^='/staff/oidc/login']").count() == 1
        check_page(page, f"login-{lang}")
        shot(page, lang, "1-login")

        page.fill("input[name=login]", "clerk")
        page.fill("input[name=password]", "wrong password")
        submit(page, ".login-form button[type=submit]")
        assert page.locator(".error-summary").count() == 1
        check_page(page, f"login-error-{lang}")

        # The administrator requires a second step: set it up right after the password.
        page.fill("input[name=login]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        submit(page, ".login-form button[type=submit]")
        assert page.url.endswith("/staff/totp")
        assert page.locator(".totp-qr svg").count() == 1
        check_page(page, f"enrol-{lang}")
        shot(page, lang, "2-enrol")
        secret = secret_on(page)
        page.fill("input[name=code]", "12")
        submit(page, ".login-form button[type=submit]")
        check_page(page, f"enrol-error-{lang}")
        shot(page, lang, "3-enrol-error")
        page.fill("input[name=code]", pyotp.TOTP(secret).at(now()))
        submit(page, ".login-form button[type=submit]")
        assert re.search(r"/(staff|desk)/", page.url) and "/login" not in page.url

        # Signed out, the code is asked after the password.
        submit(page, ".staff-logout button[type=submit]")
        page.fill("input[name=login]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        submit(page, ".login-form button[type=submit]")
        assert page.url.endswith("/staff/login/code")
        check_page(page, f"code-{lang}")
        shot(page, lang, "4-code")
        page.fill("input[name=code]", "000000")
        submit(page, ".login-form button[type=submit]")
        assert page.locator(".error-summary").count() == 1
        check_page(page, f"code-error-{lang}")

        # An account of the provider whose groups give no access.
        page.goto(live_server.url("/staff/login"))
        page.click("a[href^='/staff/oidc/login']")
        page.fill("input[name=sub]", "u-nobody")
        page.click("button:has-text('Authorize')")
        page.wait_for_url(re.compile(r"/staff/oidc/callback"))
        assert page.locator("h1").count() == 1
        check_page(page, f"no-access-{lang}")
        shot(page, lang, "5-no-access")
    finally:
        context.close()
