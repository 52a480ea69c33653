"""The citizen pages in Chromium: the whole booking by mouse, by keyboard alone and with
JavaScript switched off; axe-core and the Nu checker on every page in every language; reflow at
320 px. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from terminvergabe import config as config_module
from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office
from terminvergabe.db import db
from tests import factories
from tests.browser.conftest import (
    check_axe,
    check_html_documents,
    office_text_without_lang,
    screenshot,
)
from tests.conftest import NOW

LANGUAGES = {**config_module.DEFAULTS, **config_module.from_environment()}["LANGUAGES"]
TUESDAY = "2026-01-13"
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin
# The browser flows book Wednesday: far enough ahead to cancel (deadline 24 h before).
WEDNESDAY = "2026-01-14"
MOBILE = {"width": 320, "height": 720}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Setup:
    slug: str
    passport: int
    id_card: int


def release_lock() -> None:
    """End the test's transaction: on SQLite it would hold the write lock the server needs."""
    db.session.rollback()


@pytest.fixture
def setup(live_server) -> Setup:
    office = factories.create_office()
    db.session.commit()
    ids = {s.name: s.id for s in office.services}
    result = Setup(office.slug, ids["Reisepass beantragen"], ids["Personalausweis beantragen"])
    release_lock()
    return result


def _office(slug: str) -> Office:
    return db.session.query(Office).filter_by(slug=slug).one()


def book(slug: str, selection: dict, start: dt.datetime, locale: str, confirm=True) -> str:
    """An appointment made through the operations (as another citizen would); its token."""
    office = _office(slug)
    appointment = operations.hold(office, selection, start, NOW, locale=locale)
    if confirm:
        operations.confirm(appointment, "Erika Mustermann", "erika@example.org", "", NOW)
    db.session.commit()
    token = appointment.manage_token
    release_lock()
    return token


def status_of(token: str) -> str:
    status = db.session.query(Appointment).filter_by(manage_token=token).one().status
    release_lock()
    return status


# -- the whole booking ---------------------------------------------------------------------


def book_with_mouse(page, live_server, setup: Setup, lang: str, shots: str | None = None):
    def shot(name):
        if shots:
            screenshot(page, f"{shots}-{name}")

    page.goto(live_server.url(f"/?lang={lang}"))
    shot("1-index")
    page.click(f"a[href='/o/{setup.slug}']")
    shot("2-office")
    page.click(f"button[name=more][value='{setup.passport}']")
    page.click(f"button[name=more][value='{setup.passport}']")
    page.click("form button[type=submit]:not([name])")
    assert f"/o/{setup.slug}/days?s={setup.passport}" in page.url
    shot("3-days")
    page.click(f"a[href*='/days/{WEDNESDAY}']")
    shot("4-day")
    page.click(".times button >> nth=0")
    assert "/details" in page.url
    shot("5-details")
    page.click("form[novalidate] button[type=submit]")
    assert page.locator(".error-summary").count() == 1
    shot("6-details-errors")
    page.fill("#name", "Erika Mustermann")
    page.fill("#email", "erika@example.org")
    page.click("form[novalidate] button[type=submit]")
    assert page.locator(".booking-code").count() == 1
    shot("7-manage")
    return page.url.rsplit("/a/", 1)[1]


@pytest.mark.browser
def test_whole_booking_with_the_mouse(live_server, page, setup):
    token = book_with_mouse(page, live_server, setup, "de", shots="mouse-de")
    assert status_of(token) == AppointmentStatus.CONFIRMED
    page.click(f"a[href='/a/{token}/cancel']")
    screenshot(page, "mouse-de-8-cancel")
    page.click("form button.button--danger")
    screenshot(page, "mouse-de-9-cancelled")
    assert status_of(token) == AppointmentStatus.CANCELLED


@pytest.mark.browser
def test_whole_booking_with_javascript_switched_off(live_server, browser, setup):
    context = browser.new_context(java_script_enabled=False, viewport=MOBILE)
    page = context.new_page()
    try:
        token = book_with_mouse(page, live_server, setup, "en", shots="nojs-en-320")
        assert status_of(token) == AppointmentStatus.CONFIRMED
        # rebook without JavaScript too
        page.click(f"a[href='/a/{token}/rebook']")
        page.click("a[href*='/rebook/2026-01-15']")
        page.click(".times button >> nth=2")
        assert page.url.endswith(f"/a/{token}")
        screenshot(page, "nojs-en-320-8-rebooked")
        assert status_of(token) == AppointmentStatus.CONFIRMED
    finally:
        context.close()


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (fails after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


@pytest.mark.browser
def test_whole_booking_with_the_keyboard_alone(live_server, page, setup):
    page.goto(live_server.url("/?lang=de"))
    tab_to(page, f"a[href='/o/{setup.slug}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/o/{setup.slug}")
    tab_to(page, f"button[name=more][value='{setup.id_card}']")
    page.keyboard.press("Space")
    page.wait_for_url(f"**/o/{setup.slug}?s={setup.id_card}*")
    # after the reload the page is scrolled to the service; Tab goes on from there
    tab_to(page, "form button[type=submit]:not([name])")
    page.keyboard.press("Enter")
    page.wait_for_url("**/days?s=*")
    tab_to(page, f"a[href*='/days/{WEDNESDAY}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/days/{WEDNESDAY}*")
    tab_to(page, ".times button")
    page.keyboard.press("Space")
    page.wait_for_url("**/details")
    tab_to(page, "#name")
    page.keyboard.type("Erika Mustermann")
    tab_to(page, "#email")
    page.keyboard.type("erika@example.org")
    tab_to(page, "form[novalidate] button[type=submit]")
    screenshot(page, "keyboard-de-details-focus", full_page=False)
    page.keyboard.press("Enter")
    page.wait_for_selector(".booking-code")
    token = page.url.rsplit("/a/", 1)[1]
    assert status_of(token) == AppointmentStatus.CONFIRMED
    tab_to(page, f"a[href='/a/{token}/cancel']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/a/{token}/cancel")
    tab_to(page, "button.button--danger")
    page.keyboard.press("Space")
    page.wait_for_url(f"**/a/{token}")
    assert status_of(token) == AppointmentStatus.CANCELLED


# -- every page, every language --------------------------------------------------------------


class PageChecker:
    """Visits pages, runs axe-core at once, checks reflow at 320 px, takes screenshots, and
    keeps the HTML for one Nu checker run at the end."""

    def __init__(self, page, live_server, lang: str):
        self.page = page
        self.live_server = live_server
        self.lang = lang
        self.documents: dict[str, str] = {}

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()  # a page a click is still loading has no styles yet
        self.documents[f"{self.lang}/{name} ({page.url})"] = page.content()
        page.set_viewport_size(MOBILE)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= MOBILE["width"], f"{name} scrolls sideways at 320 px ({width} px)"
        if self.lang in ("de", "en", "ar"):
            screenshot(page, f"pages-{self.lang}-{name}-320")
        page.set_viewport_size(DESKTOP)
        if self.lang in ("de", "en", "ar"):
            screenshot(page, f"pages-{self.lang}-{name}")
        if self.lang != "de":
            unmarked = office_text_without_lang(page)
            assert not unmarked, f"{name}: office text without lang=de: {unmarked}"
        check_axe(page)

    def visit(self, path: str, name: str) -> None:
        self.page.goto(self.live_server.url(path))
        self.check(name)


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_passes_axe_and_the_nu_checker(live_server, page, setup, app, lang):
    checker = PageChecker(page, live_server, lang)
    page.goto(live_server.url(f"/?lang={lang}"))
    checker.check("index")
    checker.visit(f"/o/{setup.slug}", "office")
    checker.visit(f"/o/{setup.slug}?s={setup.passport}:2", "office-chosen")
    checker.visit(f"/o/{setup.slug}/days?q-{setup.passport}=0", "office-error")
    selection = f"{setup.passport}:2"
    checker.visit(f"/o/{setup.slug}/days?s={selection}", "days")
    checker.visit(f"/o/{setup.slug}/days/{TUESDAY}?s={selection}", "day")
    checker.visit(f"/o/{setup.slug}/days/2026-01-17?s={selection}", "day-closed")

    # slot taken: both counters are held at 10:00 after the page was shown
    page.goto(live_server.url(f"/o/{setup.slug}/days/{TUESDAY}?s={selection}"))
    for _ in range(2):
        book(setup.slug, {setup.passport: 2}, TUESDAY_10, lang, confirm=False)
    page.click(f"button[name=start][value='{TUESDAY_10.isoformat()}']")
    assert page.locator(".error-summary").count() == 1
    checker.check("taken")

    held = book(
        setup.slug, {setup.passport: 1}, TUESDAY_10 + dt.timedelta(hours=1), lang, confirm=False
    )
    checker.visit(f"/a/{held}/details", "details")
    page.fill("#email", "not an address")
    page.fill("#phone", "call me")
    page.click("form[novalidate] button[type=submit]")
    checker.check("details-errors")
    page.fill("#name", "Erika Mustermann")
    page.fill("#email", "erika@example.org")
    page.fill("#phone", "")
    page.click("form[novalidate] button[type=submit]")
    checker.check("manage")
    checker.visit(f"/a/{held}/cancel", "cancel")
    checker.visit(f"/a/{held}/rebook", "rebook-days")
    checker.visit(f"/a/{held}/rebook/2026-01-14", "rebook-day")
    page.click(".times button >> nth=0")
    checker.check("rebooked")
    checker.visit(f"/a/{held}/cancel", "cancel-again")
    page.click("form button.button--danger")
    checker.check("cancelled")

    checker.visit("/barrierefreiheit", "accessibility")
    checker.visit("/impressum", "imprint")
    checker.visit("/datenschutz", "privacy")
    checker.visit("/a/no-such-token", "error-404")

    # double opt-in: pending page and the confirmation button
    office = _office(setup.slug)
    office.double_opt_in = True
    db.session.commit()
    release_lock()
    pending = book(setup.slug, {setup.id_card: 1}, TUESDAY_10 + dt.timedelta(minutes=90), lang)
    checker.visit(f"/a/{pending}", "pending")
    checker.visit(f"/a/{pending}/confirm-email", "opt-in")

    # a lapsed hold: the start-again page
    lapsed = book(
        setup.slug, {setup.id_card: 1}, TUESDAY_10 - dt.timedelta(hours=2), lang, confirm=False
    )
    app.config["FROZEN_NOW"] = NOW + dt.timedelta(minutes=61)
    checker.visit(f"/a/{lapsed}/details", "expired")
    app.config["FROZEN_NOW"] = NOW

    check_html_documents(checker.documents)
