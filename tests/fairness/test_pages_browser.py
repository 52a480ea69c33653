"""The waitlist in a real browser: register, confirm by the mailed link, get an offer, claim it;
and the ALTCHA widget solving a challenge from our own endpoint. Every page passes axe-core and
the Nu Html Checker; screenshots go to test-artifacts/."""

import re

import pytest

from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment
from terminvergabe.db import db
from terminvergabe.fairness import altcha, waitlist
from tests.browser.conftest import check_page, screenshot
from tests.fairness.conftest import anmeldung

pytestmark = pytest.mark.browser


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_waitlist_from_registration_to_booking(live_server, page, scarce_office, mails, now):
    office, booked = scarce_office
    services = ",".join(f"{k}:{v}" for k, v in anmeldung(office).items())
    slug, first_booking = office.slug, booked[0].id
    db.session.commit()
    page.goto(live_server.url(f"/waitlist/{slug}?services={services}&lang=en"))
    check_page(page, "waitlist-register")
    screenshot(page, "waitlist-register-en")
    page.fill("#last_day", "2026-01-14")
    page.fill("#name", "Ada Lovelace")
    page.fill("#email", "ada@example.org")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Please confirm your email address")
    check_page(page, "waitlist-registered")
    (confirm_mail,) = [m for m in mails if m["kind"] == "confirm"]
    assert confirm_mail["locale"] == "en"

    page.goto(live_server.url(path_of(confirm_mail["link"])))
    check_page(page, "waitlist-confirm")
    page.click("button[type=submit]")
    page.wait_for_selector("text=You are on the waitlist")
    screenshot(page, "waitlist-confirmed-en")

    db.session.rollback()
    operations.cancel(db.session.get(Appointment, first_booking), now)
    db.session.commit()
    (offer_mail,) = [m for m in mails if m["kind"] == "offer"]
    page.goto(live_server.url(path_of(offer_mail["link"])))
    page.wait_for_selector("text=An appointment is free for you")
    check_page(page, "waitlist-offer")
    screenshot(page, "waitlist-offer-en")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your appointment is booked")
    check_page(page, "waitlist-booked")
    screenshot(page, "waitlist-booked-en")
    entry = waitlist.find_entry(path_of(confirm_mail["link"]).rsplit("/", 1)[-1])
    assert entry.status == "booked"


def test_leave_link_in_german(live_server, page, scarce_office, mails, now):
    office, _booked = scarce_office
    import datetime as dt

    entry = waitlist.register(
        office,
        anmeldung(office),
        dt.date(2026, 1, 13),
        dt.date(2026, 1, 14),
        "Ada",
        "ada@example.org",
        "de",
        now,
    )
    token = entry.token
    db.session.commit()
    page.goto(live_server.url(f"/waitlist/leave/{token}?lang=de"))
    check_page(page, "waitlist-leave")
    screenshot(page, "waitlist-leave-de")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Sie stehen nicht mehr auf der Warteliste")
    db.session.rollback()
    assert waitlist.find_entry(token).status == "left"


def test_altcha_widget_solves_our_challenge(live_server, page, app):
    saved = app.config["ALTCHA_COUNTER_MAX"], app.config["ALTCHA_COUNTER_MIN"]
    app.config.update(ALTCHA_COUNTER_MIN=50, ALTCHA_COUNTER_MAX=200)
    try:
        page.route(
            live_server.url("/altcha-check"),
            lambda route: route.fulfill(
                content_type="text/html",
                body=(
                    '<!DOCTYPE html><html lang="en"><title>check</title>'
                    '<script type="module" src="/static/altcha/altcha.min.js"></script>'
                    '<form><altcha-widget challenge="/altcha/challenge" name="altcha"'
                    ' auto="onload"></altcha-widget></form></html>'
                ),
            ),
        )
        page.goto(live_server.url("/altcha-check"))
        page.wait_for_function(
            "() => { const f = document.querySelector('input[name=altcha]');"
            " return f && f.value.length > 20 }",
            timeout=60000,
        )
        payload = page.eval_on_selector("input[name=altcha]", "e => e.value")
    finally:
        app.config.update(ALTCHA_COUNTER_MAX=saved[0], ALTCHA_COUNTER_MIN=saved[1])
    altcha.verify_and_spend(payload)
