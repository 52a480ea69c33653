"""The details page with a choice of modes and the manage page of phone and video
appointments, in Chromium: axe-core and the Nu checker in every language, office text marked
lang="de", no sideways scrolling at 390 px, screenshots in German and Arabic."""

from __future__ import annotations

import datetime as dt

import pytest

from terminvergabe import config as config_module
from terminvergabe.booking import operations
from terminvergabe.booking.models import Office
from terminvergabe.db import db
from tests.browser.conftest import check_page, office_text_without_lang, screenshot
from tests.conftest import NOW
from tests.modes_setup import ID_CARD, PASSPORT, REGISTRATION, VIDEO_URL, chosen, modes_office

LANGUAGES = {**config_module.DEFAULTS, **config_module.from_environment()}["LANGUAGES"]
WEDNESDAY_10 = dt.datetime(2026, 1, 14, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin
PHONE_WIDTH = {"width": 390, "height": 844}


@pytest.fixture
def slug(live_server) -> str:
    office = modes_office()
    db.session.rollback()  # on SQLite the server needs the write lock
    return office.slug


def held(slug: str, names, start: dt.datetime, lang: str, mode=None, phone="") -> str:
    office = db.session.query(Office).filter_by(slug=slug).one()
    appointment = operations.hold(office, chosen(office, *names), start, NOW, locale=lang)
    if mode is not None:
        operations.confirm(appointment, "Erika Mustermann", "erika@example.org", phone, NOW, mode)
    db.session.commit()
    token = appointment.manage_token
    db.session.rollback()
    return token


def check(page, lang: str, name: str) -> None:
    page.wait_for_load_state()
    page.set_viewport_size(PHONE_WIDTH)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH["width"], f"{name} scrolls sideways at 390 px ({width} px)"
    if lang in ("de", "ar"):
        screenshot(page, f"modes-{lang}-{name}-390")
    if lang != "de":
        assert not office_text_without_lang(page), name
    check_page(page, f"modes {lang} {name}")


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_choosing_a_mode_and_the_pages_of_phone_and_video_appointments(
    live_server, page, slug, lang
):
    token = held(slug, [PASSPORT], WEDNESDAY_10, lang)
    page.goto(live_server.url(f"/a/{token}/details?lang={lang}"))
    assert page.locator("input[type=radio][name=mode]").count() == 3
    check(page, lang, "details-choice")

    # by phone without a number: the phone field says what is missing
    page.check("#mode-phone")
    page.fill("#name", "Erika Mustermann")
    page.fill("#email", "erika@example.org")
    page.click("form[novalidate] button[type=submit]")
    assert page.locator("#phone-error").is_visible()
    assert page.locator("#mode-phone").is_checked()
    check(page, lang, "details-phone-missing")

    page.fill("#phone", "0221 987654")
    page.click("form[novalidate] button[type=submit]")
    page.wait_for_url(f"**/a/{token}")
    assert "0221 987654" in page.inner_text("main")
    assert page.locator("img[src$='qr.png']").count() == 0
    check(page, lang, "manage-phone")

    video = held(slug, [REGISTRATION], WEDNESDAY_10 + dt.timedelta(hours=1), lang, mode="video")
    page.goto(live_server.url(f"/a/{video}?lang={lang}"))
    assert page.locator(f"a[href='{VIDEO_URL}']").is_visible()
    check(page, lang, "manage-video")

    single = held(slug, [ID_CARD], WEDNESDAY_10 + dt.timedelta(minutes=30), lang)
    page.goto(live_server.url(f"/a/{single}/details?lang={lang}"))
    assert page.locator("input[type=radio]").count() == 0
    check(page, lang, "details-in-person")
