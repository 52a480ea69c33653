"""The screens in Chromium: a clerk calls the next citizen in one browser context; the
waiting-room display in another shows (and announces) the call; the citizen's phone page
changes to "your turn". Every screen passes axe-core and the Nu Html Checker, and leaves a
screenshot in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.counter import checkin
from terminvergabe.db import db
from tests.auth.staff import PASSWORD, create_staff_set
from tests.browser.conftest import check_page, screenshot
from tests.counter.helpers import book, service

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(office, now):
    from terminvergabe.counter.models import QueueSettings

    db.session.add(QueueSettings(office_id=office.id, early_minutes=90))
    staff = create_staff_set(office)
    _, display_token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    _, kiosk_token = auth_ops.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    appointment = book(office, now.replace(hour=9), now)  # 10:00 Berlin
    first = checkin.walk_in(office, service(office, "Personal").id, now)
    second = checkin.walk_in(office, service(office, "Reisepass").id, now, priority=False)
    scene = {
        "office_id": office.id,
        "counter_id": office.counters[0].id,
        "counter_name": office.counters[0].name,
        "display": display_token,
        "kiosk": kiosk_token,
        "first": (first.display_number, first.status_token, first.id),
        "second": (second.display_number, second.status_token),
        "code": appointment.booking_code,
        "staff": staff,
    }
    db.session.commit()  # SQLite: the server thread needs the write lock
    return scene


def log_in(page, live_server, login):
    page.goto(live_server.url("/staff/login?lang=en"))
    page.get_by_label("Login name").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_call_next_reaches_display_and_phone(browser, live_server, scene):
    clerk_context = browser.new_context()
    display_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    phone_context = browser.new_context(viewport={"width": 390, "height": 844})
    clerk, display, phone = (c.new_page() for c in (clerk_context, display_context, phone_context))

    display.goto(live_server.url(f"/display/{scene['display']}?lang=en"))
    expect(display.locator("#display-live")).to_have_attribute("data-connected", "true")
    number, status_token, _ = scene["first"]
    phone.goto(live_server.url(f"/t/{status_token}?lang=en"))
    expect(phone.locator("#ticket-live")).to_have_attribute("data-connected", "true")
    expect(phone.locator("#ticket-live")).to_contain_text("You are next")

    log_in(clerk, live_server, "clerk")
    clerk.goto(live_server.url(f"/counter/{scene['counter_id']}/?lang=en"))
    expect(clerk.locator("#counter-live")).to_have_attribute("data-connected", "true")
    clerk.locator("body").press("n")  # keyboard shortcut for "Call next"

    expect(clerk.locator("#current-number")).to_have_text(number)
    newest = display.locator(".call--newest")
    expect(newest).to_contain_text(number)
    expect(newest).to_contain_text(scene["counter_name"])
    expect(display.locator("#call-announcement")).to_have_text(
        f"{number} → {scene['counter_name']}"
    )
    expect(phone.locator("#your-turn")).to_have_text(f"Your turn: {scene['counter_name']}")

    screenshot(clerk, "counter-screen")
    screenshot(display, "display", full_page=False)
    screenshot(phone, "phone-your-turn")
    check_page(clerk, "counter-screen")
    check_page(display, "display")
    check_page(phone, "phone-status")

    # The clerk starts and finishes by keyboard; the phone follows.
    clerk.locator("body").press("s")
    expect(clerk.locator("#action-finish")).to_be_visible()
    screenshot(clerk, "counter-in-service")
    clerk.locator("body").press("f")
    expect(phone.locator("#ticket-live")).to_contain_text("finished")
    for context in (clerk_context, display_context, phone_context):
        context.close()


def test_phone_page_while_waiting(page, live_server, scene):
    number, token = scene["second"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url(f"/t/{token}?lang=en"))
    expect(page.locator("#ticket-live")).to_contain_text(re.compile("before you|You are next"))
    expect(page.locator("h1")).to_contain_text(number)
    screenshot(page, "phone-waiting")
    check_page(page, "phone-waiting")


def test_front_desk_checks_in_and_prints(page, live_server, scene):
    log_in(page, live_server, "front_desk")
    expect(page).to_have_url(re.compile(f"/desk/{scene['office_id']}/"))
    page.goto(live_server.url(f"/desk/{scene['office_id']}/?lang=en"))
    expect(page.locator("#desk-live")).to_have_attribute("data-connected", "true")
    screenshot(page, "front-desk")
    check_page(page, "front-desk")
    # A USB scanner types the code and presses Enter.
    page.locator("#checkin-code").press_sequentially(scene["code"] + "\n")
    expect(page.locator(".flash")).to_contain_text("Checked in")
    page.get_by_role("link", name="Print ticket").click()
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^[A-Z]-\d{3}$"))
    screenshot(page, "ticket-print")
    check_page(page, "ticket-print")


def test_kiosk_walk_in(page, live_server, scene):
    page.goto(live_server.url(f"/kiosk/{scene['kiosk']}?lang=en"))
    screenshot(page, "kiosk")
    check_page(page, "kiosk")
    page.get_by_role("button", name="Personalausweis beantragen").click()
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^A-\d{3}$"))
    screenshot(page, "kiosk-ticket")
    check_page(page, "kiosk-ticket")


def test_login_and_devices_pages(page, live_server, scene):
    page.goto(live_server.url("/staff/login?lang=en"))
    check_page(page, "login")
    screenshot(page, "login")
    log_in(page, live_server, "office_manager")
    page.goto(live_server.url(f"/desk/{scene['office_id']}/devices?lang=en"))
    page.get_by_label("Name").fill("Wartezimmer 2")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#new-device-url")).to_contain_text("/display/")
    check_page(page, "devices")
    screenshot(page, "devices")


def test_display_without_javascript_still_shows_calls(browser, live_server, scene):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url(f"/display/{scene['display']}?lang=en"))
    expect(page.locator("#waiting-count")).to_have_text("2")
    context.close()
