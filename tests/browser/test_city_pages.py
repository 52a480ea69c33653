"""A municipality's pages in Chromium: the start page and its search, a service page, the
earliest free times and the list of municipalities, checked with the Nu Html Checker and
axe-core in German and Arabic and rendered in every language; screenshots at 390 px; the way
from the start page to a confirmed appointment with JavaScript off."""

from __future__ import annotations

import pytest

from terminvergabe import config as config_module
from terminvergabe.db import db
from tests import factories
from tests.browser.conftest import (
    check_html,
    check_page,
    office_text_without_lang,
    screenshot,
)

LANGUAGES = {**config_module.DEFAULTS, **config_module.from_environment()}["LANGUAGES"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def city(live_server) -> dict:
    rheinstadt = factories.create_municipality("rheinstadt", name="Stadt Rheinstadt")
    factories.create_office(
        slug="rs-mitte",
        name="Bürgerbüro Mitte",
        municipality=rheinstadt,
        district="Innenstadt",
        directions="Straßenbahn 1 bis Rathaus, dann 2 Minuten zu Fuß",
        step_free=True,
        accessibility_note="Aufzug am Seiteneingang",
    )
    factories.create_office(
        slug="rs-nord",
        name="Bürgerbüro Nord",
        street="Nordring 5",
        municipality=rheinstadt,
        district="Nord",
        weekdays=(1, 3),
    )
    services = {s.name: s for s in rheinstadt.services}
    id_card = services["Personalausweis beantragen"]
    id_card.synonyms = "Perso\nAusweis"
    id_card.fee_cents = 3700
    id_card.fee_note = "unter 24 Jahren 22,80 €"
    id_card.description = "Neuer Personalausweis mit Online-Ausweisfunktion."
    id_card.what_to_bring = "Bisheriger Ausweis.\nEin biometrisches Passfoto."
    id_card.translations = {
        "ar": {"name": "طلب بطاقة هوية"},
        "en": {"name": "Apply for an identity card"},
    }
    factories.create_municipality("bergdorf", name="Gemeinde Bergdorf")
    db.session.commit()
    ids = {name: s.id for name, s in services.items()}
    db.session.rollback()  # SQLite: the server needs the write lock
    return ids


def city_pages(city) -> dict[str, str]:
    id_card = city["Personalausweis beantragen"]
    return {
        "start": "/k/rheinstadt/",
        "search": "/k/rheinstadt/?q=Ausweis",
        "search-none": "/k/rheinstadt/?q=Hundesteuer",
        "start-chosen": f"/k/rheinstadt/?s={city['Reisepass beantragen']}:2",
        "service": f"/k/rheinstadt/services/{id_card}",
        "earliest": f"/k/rheinstadt/earliest?s={id_card}:1",
        "earliest-narrowed": f"/k/rheinstadt/earliest?s={id_card}:1&district=Nord",
        "municipalities": "/",
    }


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_city_pages_pass_both_checkers_and_mark_german_text(live_server, browser, city, lang):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        for name, path in city_pages(city).items():
            separator = "&" if "?" in path else "?"
            response = page.goto(live_server.url(f"{path}{separator}lang={lang}"))
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == lang
            check_page(page, f"city-{name}-{lang}")
            if lang != "de":
                assert office_text_without_lang(page) == [], path
            screenshot(page, f"city-{lang}-390-{name}")
    finally:
        context.close()


@pytest.mark.browser
def test_city_pages_in_every_language(live_server, page, city):
    for lang in LANGUAGES:
        for name, path in city_pages(city).items():
            separator = "&" if "?" in path else "?"
            response = page.goto(live_server.url(f"{path}{separator}lang={lang}"))
            assert response.status == 200, (lang, path)
            check_html(page.content(), f"city-{name}-{lang}")
            if lang != "de":
                assert office_text_without_lang(page) == [], (lang, path)


@pytest.mark.browser
def test_translated_name_replaces_the_german_one(live_server, page, city):
    page.goto(live_server.url(f"/k/rheinstadt/services/{city['Personalausweis beantragen']}"))
    page.goto(page.url + "?lang=ar")
    heading = page.locator("h1")
    assert heading.inner_text() == "طلب بطاقة هوية"
    assert heading.get_attribute("lang") is None  # Arabic, the page's language
    passport = f"/k/rheinstadt/services/{city['Reisepass beantragen']}?lang=ar"
    page.goto(live_server.url(passport))
    assert page.locator("h1").get_attribute("lang") == "de"  # not translated: German, marked


@pytest.mark.browser
def test_from_start_page_to_confirmed_with_javascript_off(live_server, browser, city):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    shown = []
    page.on("load", lambda: shown.append(page.url))
    try:
        page.goto(live_server.url("/k/rheinstadt/?lang=de"))
        page.fill("#q", "Reisepas")
        page.click(".catalogue-search button")
        page.click(f"a[href^='/k/rheinstadt/services/{city['Reisepass beantragen']}']")
        page.select_option("#quantity", "2")
        page.click("button[name=then][value=earliest]")
        assert "/k/rheinstadt/earliest?s=" in page.url
        page.select_option("#office", "rs-nord")
        page.click(".narrow button")
        assert "office=rs-nord" in page.url
        page.click(".earliest form button[name=start]")
        assert "/details" in page.url
        page.fill("#name", "Erika Mustermann")
        page.fill("#email", "erika@example.org")
        page.click("form[novalidate] button[type=submit]")
        assert page.locator(".booking-code").count() == 1
        screenshot(page, "city-nojs-de-390-confirmed")
        # start, search results, service, earliest, earliest narrowed, details, confirmed:
        # the narrowing is a choice of the citizen's, the way itself is five pages.
        assert len(shown) == 7, shown
    finally:
        context.close()
