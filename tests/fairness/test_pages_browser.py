"""The waitlist in a real browser: register, confirm by the mailed link, get an offer, claim it;
and the ALTCHA widget solving a challenge from our own endpoint. Every page passes axe-core and
the Nu Html Checker; screenshots go to test-artifacts/."""

import datetime as dt
import re

import pytest

from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment
from terminvergabe.db import db
from terminvergabe.fairness import altcha, waitlist
from tests.browser.conftest import check_axe, check_html_documents, screenshot
from tests.fairness.conftest import anmeldung

pytestmark = pytest.mark.browser


def checked(page, documents: dict, name: str) -> None:
    """axe-core now; the HTML is kept for one run of the Nu checker at the end (one Java
    start instead of one per page)."""
    documents[name] = page.content()
    check_axe(page)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_waitlist_from_registration_to_booking(live_server, page, scarce_office, mails, now):
    office, booked = scarce_office
    documents = {}
    services = ",".join(f"{k}:{v}" for k, v in anmeldung(office).items())
    slug, first_booking = office.slug, booked[0].id
    db.session.commit()
    page.goto(live_server.url(f"/o/{slug}/days?s={services}&lang=en"))
    checked(page, documents, "days-without-free-time")
    screenshot(page, "days-without-free-time-en")
    page.click("text=Join the waitlist")
    page.wait_for_selector("h1:has-text('Join the waitlist')")
    checked(page, documents, "waitlist-register")
    screenshot(page, "waitlist-register-en")
    page.fill("#last_day", "2026-01-14")
    page.fill("#name", "Ada Lovelace")
    page.fill("#email", "ada@example.org")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Please confirm your email address")
    checked(page, documents, "waitlist-registered")
    (confirm_mail,) = [m for m in mails if m["kind"] == "confirm"]
    assert confirm_mail["locale"] == "en"

    page.goto(live_server.url(path_of(confirm_mail["link"])))
    checked(page, documents, "waitlist-confirm")
    page.click("button[type=submit]")
    page.wait_for_selector("text=You are on the waitlist")
    screenshot(page, "waitlist-confirmed-en")

    db.session.rollback()
    operations.cancel(db.session.get(Appointment, first_booking), now)
    db.session.commit()
    (offer_mail,) = [m for m in mails if m["kind"] == "offer"]
    page.goto(live_server.url(path_of(offer_mail["link"])))
    page.wait_for_selector("text=An appointment is free for you")
    checked(page, documents, "waitlist-offer")
    screenshot(page, "waitlist-offer-en")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your appointment is booked")
    checked(page, documents, "waitlist-booked")
    screenshot(page, "waitlist-booked-en")
    entry = waitlist.find_entry(path_of(confirm_mail["link"]).rsplit("/", 1)[-1])
    assert entry.status == "booked"
    check_html_documents(documents)


def test_leave_link_in_german(live_server, page, scarce_office, mails, now):
    office, _booked = scarce_office
    documents = {}

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
    checked(page, documents, "waitlist-leave")
    screenshot(page, "waitlist-leave-de")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Sie stehen nicht mehr auf der Warteliste")
    db.session.rollback()
    assert waitlist.find_entry(token).status == "left"
    check_html_documents(documents)


def test_proof_of_work_fills_the_hold_forms(live_server, page, app):
    """The proof-of-work as pages include it: in the background, its solution put into every
    hold form; the page stays accessible and valid."""
    saved = app.config["ALTCHA_COUNTER_MAX"], app.config["ALTCHA_COUNTER_MIN"]
    app.config.update(ALTCHA_COUNTER_MIN=50, ALTCHA_COUNTER_MAX=200)
    try:
        with app.test_request_context():
            from flask import render_template_string

            widget = render_template_string(
                '{% include "waitlist/altcha_widget.html" %}', current_locale="en"
            )
        forms = "".join(
            f'<form method="post" action="/hold"><input type="hidden" name="altcha" value="">'
            f'<button type="submit">10:{minute}0</button></form>'
            for minute in range(3)
        )
        html = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Times</title>'
            f"</head><body><main><h1>Times</h1>{widget}{forms}</main></body></html>"
        )
        page.route(
            live_server.url("/altcha-check"),
            lambda route: route.fulfill(content_type="text/html", body=html),
        )
        page.goto(live_server.url("/altcha-check"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('form input[name=altcha]')]"
            ".every(f => f.value.length > 20)",
            timeout=60000,
        )
        values = page.eval_on_selector_all("form input[name=altcha]", "es => es.map(e => e.value)")
        documents = {}
        checked(page, documents, "altcha-pow")
        check_html_documents(documents)
    finally:
        app.config.update(ALTCHA_COUNTER_MAX=saved[0], ALTCHA_COUNTER_MIN=saved[1])
    assert len(set(values)) == 1
    altcha.verify_and_spend(values[0])
