"""Live pages after their stream was refused with an error status, in Chromium: the browser's
EventSource gives up on a 503 for good, so counter.js reconnects by itself (from the last event
it saw) and says meanwhile that the page may be out of date; a revoked display stops. A screen
(re)loaded during the outage gets the 503 page, which tries again by itself (retry.js) — but
never sends a form again.

The outage is real: the database becomes unreachable (tests/conftest.py), an event arrives,
the open stream cannot render it and ends, and the browser's own reconnect gets a 503."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from terminvergabe import errors, events
from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking.models import Counter
from terminvergabe.counter import checkin, live, tickets
from terminvergabe.counter.models import Ticket
from terminvergabe.db import db
from tests.browser.conftest import check_axe, check_page, screenshot
from tests.counter.helpers import service

pytestmark = pytest.mark.browser

LOST = "Connection lost. The page may be out of date; it reconnects by itself."
UNAVAILABLE = (
    "The service is briefly unavailable. Nothing was changed. Please try again in a moment."
)
TRIES_AGAIN = "This page tries again by itself."


@pytest.fixture
def quick(app, monkeypatch):
    """Short waits: the browser's own reconnect, the first delay of counter.js, and the first
    try again of the 503 page (Retry-After: whole seconds)."""
    monkeypatch.setattr(live, "RETRY_MS", 100)
    monkeypatch.setitem(app.config, "LIVE_RECONNECT_MS", 100)
    monkeypatch.setattr(errors, "RETRY_AFTER_SECONDS", 1)


@pytest.fixture
def display(office, now, quick):
    device, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    checkin.walk_in(office, service(office, "Personal").id, now)
    # Read before the commit: after it, reading would begin a transaction (the write lock).
    ids = {"device": device.id, "office": office.id, "counter": office.counters[0].id}
    db.session.commit()  # SQLite: the server thread needs the write lock
    return ids, token


def publish(office_id: int, type_: str, **data) -> None:
    """An event straight to the screens, as after a commit (the database may be down)."""
    events.broker().publish(
        {"office": office_id, "type": type_, "id": events.new_event_id(), **data}
    )


def open_display(page, live_server, token):
    page.goto(live_server.url(f"/display/{token}?lang=en"))
    root = page.locator("#display-live")
    expect(root).to_have_attribute("data-connected", "true")
    return root


def lose_the_stream(page, office_id, take_database_down):
    """The database goes down and an event comes: the stream ends, its reconnect gets a 503."""
    back_up = take_database_down()
    with page.expect_response(lambda r: "/events" in r.url and r.status == 503):
        publish(office_id, "ticket")
    expect(page.locator("#connection-status")).to_have_text(LOST)
    expect(page.locator("#display-live")).to_have_attribute("data-connected", "false")
    return back_up


def test_display_reconnects_by_itself_after_an_outage(
    page, live_server, office, now, display, take_database_down
):
    ids, token = display
    root = open_display(page, live_server, token)
    page.evaluate("window.calls = []")
    page.evaluate("document.addEventListener('tv:call', e => window.calls.push(e.detail))")
    # An event the page has seen, so that it has an id to resume from.
    checkin.walk_in(office, service(office, "Reisepass").id, now)
    db.session.commit()
    expect(page.locator("#waiting-count")).to_have_text("2")

    back_up = lose_the_stream(page, ids["office"], take_database_down)
    screenshot(page, "display-disconnected", full_page=False)
    check_axe(page)  # the notice too (contrast on the dark display)
    # A call while the display has no stream: it comes with the resumed one.
    publish(ids["office"], "call", number="A-099", counter="Schalter 9")
    back_up()

    expect(root).to_have_attribute("data-connected", "true")
    expect(page.locator("#connection-status")).to_have_text("")
    page.wait_for_function("window.calls.length > 0")
    assert page.evaluate("window.calls") == [
        {"number": "A-099", "counter": "Schalter 9", "recall": False, "missed": True}
    ]
    # Events after the outage reach the page without a reload.
    number = tickets.call_next(db.session.get(Counter, ids["counter"]), now).display_number
    db.session.commit()
    expect(page.locator(".call--newest")).to_contain_text(number)
    expect(page.locator("#waiting-count")).to_have_text("1")
    assert page.evaluate("window.calls.length") == 2  # the same document: no reload


def test_display_revoked_during_an_outage_stops(
    page, live_server, now, display, take_database_down
):
    ids, token = display
    open_display(page, live_server, token)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    # Revoked without an event reaching the screen (as when the broker lost it).
    db.session.get(Device, ids["device"]).revoked_at = now
    db.session.commit()

    back_up = lose_the_stream(page, ids["office"], take_database_down)
    back_up()

    # The page asks once more, is refused, and reloads to say so.
    expect(page.locator("h1")).to_have_text("You are not allowed to do this.")
    asked = len([url for url in requests if "/events" in url])
    page.wait_for_timeout(1000)  # ten times the first delay: no more asking
    assert len([url for url in requests if "/events" in url]) == asked
    assert page.locator("#display-live").count() == 0


def test_display_switched_on_during_an_outage_appears_by_itself(
    page, live_server, display, take_database_down
):
    _ids, token = display
    url = live_server.url(f"/display/{token}?lang=en")
    back_up = take_database_down()
    with page.expect_response(lambda r: r.url == url and r.request.method == "HEAD") as asked:
        response = page.goto(url)
        assert response.status == 503
        expect(page.locator("h1")).to_have_text(UNAVAILABLE)
        expect(page.locator("#retry-status")).to_have_text(TRIES_AGAIN)
        check_page(page, "display-outage")
        screenshot(page, "display-outage", full_page=False)
    assert asked.value.status == 503  # it asked while the database was down, and goes on
    back_up()

    # No reload by the test: the page comes back by itself, and its stream with it.
    expect(page.locator("#display-live")).to_have_attribute("data-connected", "true")
    expect(page.locator("#waiting-count")).to_have_text("1")
    assert page.url == url


def test_a_form_sent_during_an_outage_is_not_sent_again(
    page, live_server, office, now, quick, take_database_down
):
    _device, token = auth_ops.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    db.session.commit()
    page.goto(live_server.url(f"/kiosk/{token}?lang=en"))
    requests = []
    page.on(
        "request",
        lambda request: "/kiosk/" in request.url and requests.append(request.method),
    )
    back_up = take_database_down()
    page.get_by_role("button", name="Personalausweis beantragen").click()
    expect(page.locator("h1")).to_have_text(UNAVAILABLE)
    assert requests == ["POST"]
    back_up()

    page.wait_for_timeout(2500)  # past the latest first try again (1.5 × Retry-After)
    assert requests == ["POST"]
    assert page.locator("#retry-status").count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
