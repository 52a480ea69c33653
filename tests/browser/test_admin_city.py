"""The municipality's administration pages in headless Chromium at phone width, in German and
Arabic: every page (and every page with an error) passes axe-core and the Nu Html Checker,
office-typed German is marked lang="de", and errors are announced and linked to their field."""

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from terminvergabe.auth import operations
from terminvergabe.booking.models import Office, OfficeMembership, Role
from terminvergabe.db import db
from tests import factories
from tests.auth.staff import PASSWORD
from tests.browser.conftest import (  # noqa: F401  (fixtures)
    _live_server_thread,
    base_url,
    browser_context_args,
    browser_type_launch_args,
    check_page,
    office_text_without_lang,
    screenshot,
)
from tests.browser.conftest import live_server as live_server  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@dataclass
class City:
    municipality_id: int
    office_id: int
    service_id: int
    member_id: int


@pytest.fixture
def city(office):
    """Plain values (see tests/admin/test_browser.py): a municipality with two offices, a
    translated catalogue service, a clerk in both offices, and its administrator."""
    municipality = office.municipality
    nord = factories.create_office(slug="nord", name="Bürgerbüro Nord", municipality=municipality)
    service = next(s for s in municipality.services if s.name == "Reisepass beantragen")
    service.fee_cents = 3700
    service.fee_note = "unter 24 Jahren 37,50 €"
    service.synonyms = "Pass\nReisepass"
    service.translations = {"en": {"name": "Apply for a passport"}, "ar": {"name": "طلب جواز سفر"}}
    offer = office.offer_of(service.id)
    offer.modes, offer.video_url = "in_person,video", "https://video.example.org/raum"
    member = db.session.scalars(
        sa.select(OfficeMembership).where(OfficeMembership.office_id == office.id)
    ).first()
    member.staff_member.memberships.append(OfficeMembership(office=nord, roles="front_desk"))
    operations.create_staff(
        "stadtadmin", PASSWORD, "Stadt Admin", [Role.ADMIN], municipality=municipality
    )
    result = City(municipality.id, office.id, service.id, member.staff_member_id)
    db.session.commit()
    return result


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, live_server):
    page.goto(live_server.url("/staff/login?lang=de&next=/admin/"))
    page.fill("input[name=login]", "stadtadmin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def pages(city: City) -> dict[str, str]:
    m = f"/admin/m/{city.municipality_id}"
    return {
        "city-start": "/admin/",
        "city-offices": f"{m}/offices",
        "city-office-new": f"{m}/offices/new",
        "city-office-edit": f"{m}/offices/{city.office_id}",
        "city-catalogue": f"{m}/catalogue",
        "city-catalogue-new": f"{m}/catalogue/new",
        "city-catalogue-edit": f"{m}/catalogue/{city.service_id}",
        "city-offers": f"/admin/{city.office_id}/services",
        "city-offer": f"/admin/{city.office_id}/services/{city.service_id}",
        "city-staff": f"{m}/staff",
        "city-staff-member": f"{m}/staff/{city.member_id}",
        "city-audit": f"{m}/audit",
        "city-statistics": f"{m}/statistics",
    }


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_every_city_page_is_valid_and_accessible(phone, live_server, city, lang):
    log_in(phone, live_server)
    for name, path in pages(city).items():
        response = phone.goto(live_server.url(f"{path}?lang={lang}"))
        assert response.status == 200, name
        assert phone.locator("h1").count() == 1, name
        assert phone.get_attribute("html", "lang") == lang
        screenshot(phone, f"{name}-{lang}")
        check_page(phone, f"{name}-{lang}")
        if lang != "de":
            assert office_text_without_lang(phone) == [], name


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_errors_are_announced_beside_the_fields(phone, live_server, city, lang):
    log_in(phone, live_server)
    m = f"/admin/m/{city.municipality_id}"

    phone.goto(live_server.url(f"{m}/offices/new?lang={lang}"))
    phone.fill("#name", "Bürgerbüro Süd")
    phone.fill("#slug", "nord")  # taken
    phone.fill("#time_zone", "Europe/Köln")
    phone.click("form.admin-form button[type=submit]")
    summary = phone.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert phone.get_attribute("#slug", "aria-invalid") == "true"
    assert phone.get_attribute("#time_zone", "aria-describedby").endswith("time_zone-error")
    summary.locator("a[href='#time_zone']").click()
    assert phone.evaluate("document.activeElement.id") == "time_zone"
    screenshot(phone, f"city-office-errors-{lang}")
    check_page(phone, f"city-office-errors-{lang}")

    phone.goto(live_server.url(f"{m}/catalogue/new?lang={lang}"))
    phone.fill("#name", "Führungszeugnis")
    phone.fill("#leika_id", "123")
    phone.fill("#fee_cents", "13,000")
    phone.click("form.admin-form button[type=submit]")
    assert phone.get_attribute("#fee_cents", "aria-invalid") == "true"
    assert phone.get_attribute("#leika_id", "aria-invalid") == "true"
    screenshot(phone, f"city-catalogue-errors-{lang}")
    check_page(phone, f"city-catalogue-errors-{lang}")

    phone.goto(live_server.url(f"/admin/{city.office_id}/services/{city.service_id}?lang={lang}"))
    phone.fill("#video_url", "")
    phone.click("form.admin-form button[type=submit]")
    assert phone.get_attribute("#video_url", "aria-invalid") == "true"
    screenshot(phone, f"city-offer-errors-{lang}")
    check_page(phone, f"city-offer-errors-{lang}")
    db.session.rollback()
    assert db.session.get(Office, city.office_id).offer_of(city.service_id).video_url
