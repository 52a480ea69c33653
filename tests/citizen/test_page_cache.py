"""The day page kept for a few seconds (citizen/page_cache.py): each visitor's own CSRF token,
a time held through this process gone at once, one held elsewhere gone within the seconds."""

import datetime as dt
import re
import time

import pytest
from flask import g

from terminvergabe.booking import operations, signals
from terminvergabe.citizen import page_cache
from terminvergabe.db import db
from terminvergabe.params import parse_selection
from tests.citizen.pages.helpers import TUESDAY, TUESDAY_10, passports, starts_on, text

SECONDS = 10


@pytest.fixture
def kept_pages(app_ctx, monkeypatch):
    """Pages kept for SECONDS; the returned list holds a clock offset the test can move."""
    app_ctx.config["DAY_PAGE_CACHE_SECONDS"] = SECONDS
    page_cache.clear()
    offset = [0.0]
    real = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset[0])
    yield offset
    app_ctx.config["DAY_PAGE_CACHE_SECONDS"] = 0
    page_cache.clear()


def day_url(office):
    return f"/o/{office.slug}/days/{TUESDAY}?s={passports(office)}"


def csrf_tokens(page):
    """The session's secret inside each form's signed token (the signature changes by time)."""
    return {t.split(".")[0] for t in re.findall(r'name="csrf_token" value="([^"]+)"', page)}


def visit(client, url):
    # The tests' app context outlives requests, and Flask-WTF keeps a request's token on g.
    g.pop("csrf_token", None)
    return text(client.get(url))


def test_a_kept_page_carries_each_visitors_own_csrf_token(app_ctx, office, kept_pages):
    first, second = app_ctx.test_client(), app_ctx.test_client()
    page_a = visit(first, day_url(office))
    page_b = visit(second, day_url(office))
    assert starts_on(page_a) == starts_on(page_b) and starts_on(page_a)
    (token_a,), (token_b,) = csrf_tokens(page_a), csrf_tokens(page_b)
    assert token_a != token_b
    assert csrf_tokens(visit(first, day_url(office))) == {token_a}
    assert "\x00" not in page_a + page_b


def test_a_returning_visitors_reused_token_holds_a_time(app_ctx, office, kept_pages):
    """The signed token is reused for a returning visitor; it must still pass the CSRF check."""
    app_ctx.config["WTF_CSRF_ENABLED"] = True
    try:
        visitor = app_ctx.test_client()
        visit(visitor, day_url(office))  # starts the session
        visit(visitor, day_url(office))  # signs its token and keeps the signed token
        page = visit(visitor, day_url(office))  # the kept signed token
        (token,) = re.findall(r'name="csrf_token" value="([^"]+)"', page)
        form = {"csrf_token": token, "s": passports(office), "start": starts_on(page)[0]}
        g.pop("csrf_token", None)
        assert visitor.post(f"/o/{office.slug}/hold", data=form).status_code == 303
        g.pop("csrf_token", None)
        stranger = app_ctx.test_client()
        assert stranger.post(f"/o/{office.slug}/hold", data=form).status_code == 400
    finally:
        app_ctx.config["WTF_CSRF_ENABLED"] = False


def test_a_time_held_through_this_process_is_gone_at_once(client, office, now, kept_pages):
    assert TUESDAY_10.isoformat() in starts_on(text(client.get(day_url(office))))
    for _ in office.counters:  # every counter's 10:00
        operations.hold(office, parse_selection(passports(office)), TUESDAY_10, now)
    db.session.commit()
    assert TUESDAY_10.isoformat() not in starts_on(text(client.get(day_url(office))))


def test_a_time_held_elsewhere_is_gone_within_the_seconds(client, office, now, kept_pages):
    assert TUESDAY_10.isoformat() in starts_on(text(client.get(day_url(office))))
    # Another process's holds: this process hears nothing of them.
    with signals.appointment_held.muted():
        for _ in office.counters:
            operations.hold(office, parse_selection(passports(office)), TUESDAY_10, now)
    db.session.commit()
    assert TUESDAY_10.isoformat() in starts_on(text(client.get(day_url(office))))
    kept_pages[0] += SECONDS + 1
    assert TUESDAY_10.isoformat() not in starts_on(text(client.get(day_url(office))))


def test_a_change_of_the_office_shows_within_the_seconds(client, office, kept_pages):
    assert "Markt 1" in text(client.get(day_url(office)))
    office.street = "Rathausplatz 2"
    db.session.commit()
    kept_pages[0] += SECONDS + 1
    assert "Rathausplatz 2" in text(client.get(day_url(office)))


def test_each_language_and_query_has_its_own_page(client, office, kept_pages):
    english = text(client.get(day_url(office) + "&lang=en"))
    german = text(client.get(day_url(office) + "&lang=de"))
    assert "Choose a time" in english and "Choose a time" not in german
    again = text(client.get(day_url(office) + "&lang=en"))
    assert starts_on(again) == starts_on(english) and "Choose a time" in again


def test_an_unknown_office_or_service_is_still_refused(client, office, kept_pages):
    assert client.get(f"/o/nirgendwo/days/{TUESDAY}?s={passports(office)}").status_code == 404
    assert client.get(f"/o/{office.slug}/days/{TUESDAY}?s=999999:1").status_code == 422


def test_kept_pages_follow_the_clock(client, office, now, kept_pages, app_ctx):
    """A time inside the lead time leaves the page when the minute changes."""
    assert starts_on(text(client.get(day_url(office))))
    app_ctx.config["FROZEN_NOW"] = now + dt.timedelta(days=2)
    assert starts_on(text(client.get(day_url(office)))) == []  # Tuesday is past by then
