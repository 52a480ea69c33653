"""The queue rules form and the audit log page in headless Chromium: valid HTML, no axe-core
violations, errors announced and linked, a saved change shown in the log next to the front
desk's and the counter's actions."""

import pytest

from terminvergabe.auth import operations
from terminvergabe.booking.models import Role
from terminvergabe.counter import checkin, tickets
from terminvergabe.db import db
from tests.admin.conftest import TUESDAY_10, book
from tests.auth.staff import PASSWORD
from tests.browser.conftest import (  # noqa: F401  (fixtures)
    _live_server_thread,
    base_url,
    browser_context_args,
    browser_type_launch_args,
    check_page,
    screenshot,
)
from tests.browser.conftest import live_server as live_server  # noqa: F401
from tests.counter.helpers import at

pytestmark = pytest.mark.browser


@pytest.fixture
def office_id(office, now):
    """A manager, and a morning of desk and counter actions by named staff members."""
    operations.create_staff("chefin", PASSWORD, "Office Manager", [Role.OFFICE_MANAGER], office)
    desk = operations.create_staff("desk", PASSWORD, "Dilek Desk", [Role.FRONT_DESK], office)
    clerk = operations.create_staff("clerk", PASSWORD, "Carl Clerk", [Role.CLERK], office)
    book(office, TUESDAY_10, now, "a@example.org", name="Anna")
    counter = office.counters[0]
    walk_in = checkin.walk_in(office, office.services[2].id, at(9), staff=desk)
    tickets.call_next(counter, at(9, 1), clerk)
    tickets.start(walk_in, counter, at(9, 2), clerk)
    tickets.finish(walk_in, counter, at(9, 12), staff=clerk)
    result = office.id
    db.session.commit()
    return result


def log_in(page, live_server, next_path):
    page.goto(live_server.url(f"/staff/login?lang=en&next={next_path}"))
    page.fill("input[name=login]", "chefin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_queue_rules_form_and_audit_page(page, live_server, office_id):
    log_in(page, live_server, f"/admin/{office_id}/queue")
    page.goto(live_server.url(f"/admin/{office_id}/queue?lang=en"))
    assert page.locator("h1").inner_text() == "Queue rules"
    assert page.locator("nav a[aria-current=page]").inner_text() == "Queue rules"
    screenshot(page, "admin-queue")
    check_page(page, "admin-queue")

    page.fill("#max_calls", "0")
    page.fill("#late_minutes", "")
    page.click("text=Save")
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    summary.locator("a[href='#max_calls']").click()
    assert page.evaluate("document.activeElement.id") == "max_calls"
    assert page.get_attribute("#max_calls", "aria-invalid") == "true"
    screenshot(page, "admin-queue-errors")
    check_page(page, "admin-queue-errors")

    page.fill("#max_calls", "2")
    page.fill("#late_minutes", "5")
    page.select_option("#late_policy", "refuse")
    page.click("text=Save")
    assert "The queue rules were saved." in page.content()
    assert page.input_value("#late_minutes") == "5"

    page.click("nav >> text=Audit log")
    assert page.locator("h1").inner_text() == "Audit log"
    table = page.locator("table.data").inner_text()
    for text in ("Queue rules changed", "Walk-in ticket issued", "Service finished"):
        assert text in table
    assert "Dilek Desk" in table and "Carl Clerk" in table and "Office Manager" in table
    screenshot(page, "admin-audit")
    check_page(page, "admin-audit")

    page.select_option("#action", "finish")
    page.click("form button[type=submit] >> text=Show")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1 and "Carl Clerk" in rows.inner_text()
    check_page(page, "admin-audit-filtered")

    page.goto(live_server.url(f"/admin/{office_id}/audit?lang=ar"))
    assert page.get_attribute("html", "dir") == "rtl"
    screenshot(page, "admin-audit-ar")
    check_page(page, "admin-audit-ar")
