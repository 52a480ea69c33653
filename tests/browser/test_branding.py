"""A municipality's header (logo, name, colour), its legal pages and the settings pages in
the browser: axe-core and the Nu Html Checker in German and Arabic, screenshots at 390 px."""

import pytest

from terminvergabe.auth import operations as auth_ops
from terminvergabe.booking.models import Role
from terminvergabe.db import db
from tests import factories
from tests.auth.staff import PASSWORD
from tests.browser.conftest import check_page, office_text_without_lang, screenshot

pytestmark = pytest.mark.browser

LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 48" width="40" height="48">
<path d="M2 2h36v22c0 12-8 19-18 22C10 43 2 36 2 24z" fill="#8a1538"/>
<path d="M20 8l4 9h9l-7 6 3 10-9-6-9 6 3-10-7-6h9z" fill="#f6c700"/></svg>"""


@pytest.fixture
def city(app_ctx):
    municipality = factories.create_municipality(
        "rheinstadt",
        name="Stadt Rheinstadt",
        colour="#8a1538",
        logo=LOGO,
        logo_type="image/svg+xml",
        operator_name="Stadtverwaltung Rheinstadt",
        operator_address="Rathausplatz 1, 50667 Rheinstadt",
        representative="Oberbürgermeisterin Dr. Anna Rhein",
        privacy_officer="Datenschutzbeauftragte Rheinstadt\ndatenschutz@rheinstadt.example",
        supervisory_authority="Landesbeauftragte für Datenschutz und Informationsfreiheit NRW",
    )
    factories.create_municipality("bergdorf", name="Gemeinde Bergdorf")
    office = factories.create_office(
        slug="mitte", name="Bürgerbüro Mitte", municipality=municipality
    )
    auth_ops.create_staff(
        "stadtadmin", PASSWORD, "Stadt Admin", [Role.ADMIN], municipality=municipality
    )
    auth_ops.create_staff("betrieb", PASSWORD, "Rechenzentrum", [Role.ADMIN])
    ids = (municipality.id, office.slug)
    db.session.commit()
    return ids


def _log_in(page, live_server, login):
    page.goto(live_server.url("/staff/login"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_citizen_pages_carry_the_municipalitys_header(page, live_server, city, lang):
    _, slug = city
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (
        (f"/o/{slug}", "office"),
        ("/k/rheinstadt/impressum", "imprint"),
        ("/k/rheinstadt/datenschutz", "privacy"),
    ):
        page.goto(live_server.url(f"{path}?lang={lang}"))
        header = page.locator("header.site-header")
        colour = header.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(138, 21, 56)", path
        logo = header.locator("img.brand__logo")
        assert logo.get_attribute("alt") == "Stadt Rheinstadt"
        assert logo.evaluate("img => img.complete && img.naturalWidth > 0"), "the logo loads"
        assert page.get_by_role("link", name="Stadt Rheinstadt").count() == 1
        check_page(page, f"branding-{name}-{lang}")
        if lang != "de":
            assert not office_text_without_lang(page), path
        screenshot(page, f"branding-{name}-{lang}")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_settings_and_municipality_list_pass_the_checkers(page, live_server, city, lang):
    municipality_id, _ = city
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server, "stadtadmin")
    page.goto(live_server.url(f"/admin/m/{municipality_id}/settings?lang={lang}"))
    check_page(page, f"municipality-settings-{lang}")
    screenshot(page, f"municipality-settings-{lang}")
    # a colour too light for white text: the message beside the field, nothing saved
    page.fill("input[name=colour]", "#ffcc00")
    page.click("form.admin-form button[type=submit]")
    assert page.locator("#colour-error").count() == 1
    check_page(page, f"municipality-settings-error-{lang}")
    screenshot(page, f"municipality-settings-error-{lang}", full_page=False)

    page.context.clear_cookies()
    _log_in(page, live_server, "betrieb")
    page.goto(live_server.url(f"/admin/municipalities?lang={lang}"))
    assert page.get_by_role("link", name="Gemeinde Bergdorf").count() == 1
    check_page(page, f"municipalities-{lang}")
    screenshot(page, f"municipalities-{lang}")
