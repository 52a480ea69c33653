"""Admin flows in headless Chromium: every page passes axe-core and the Nu Html Checker, and a
closure that hits booked appointments is confirmed, decided and saved by keyboard and mouse."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from terminvergabe.auth import operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Closure, Role
from terminvergabe.db import db
from tests.admin import history
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

pytestmark = pytest.mark.browser

PAGES = {
    "admin-overview": "",
    "admin-counters": "counters",
    "admin-services": "services",
    "admin-staff": "staff",
    "admin-shifts": "shifts",
    "admin-hours": "hours",
    "admin-closures": "closures",
    "admin-rules": "rules",
    "admin-calendar-day": "calendar?date=2026-01-13",
    "admin-calendar-week": "calendar?date=2026-01-13&view=week",
    "admin-statistics": "statistics?first=2025-12-01&last=2025-12-19",
    "admin-privacy": "privacy",
}


@dataclass
class Setup:
    office_id: int
    appointments: list[tuple[int, str]]  # (id, booking code)


@pytest.fixture
def setup(office, now):
    """Data for the browser, as plain values: on SQLite, touching an expired ORM object after
    the commit would open a transaction that blocks the server thread's writes."""
    operations.create_staff("chefin", PASSWORD, "Office Manager", [Role.OFFICE_MANAGER], office)
    history.generate(office, dt.date(2025, 12, 1), 19, per_day=10, seed=2)
    booked = [
        book(office, TUESDAY_10, now, "a@example.org", name="Anna"),
        book(office, TUESDAY_10, now, "b@example.org", name="Ben"),
        book(office, TUESDAY_10 + dt.timedelta(hours=1), now, "c@example.org", name="Cem"),
    ]
    result = Setup(office.id, [(a.id, a.booking_code) for a in booked])
    db.session.commit()
    return result


def log_in(page, live_server, next_path):
    page.goto(live_server.url(f"/staff/login?lang=en&next={next_path}"))
    page.fill("input[name=login]", "chefin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_every_admin_page_is_valid_and_accessible(page, live_server, setup):
    log_in(page, live_server, f"/admin/{setup.office_id}/")
    for name, path in PAGES.items():
        page.goto(live_server.url(f"/admin/{setup.office_id}/{path}"))
        assert page.locator("h1").count() == 1
        screenshot(page, name)
        check_page(page, name)


def test_form_errors_are_announced_and_linked(page, live_server, setup):
    log_in(page, live_server, f"/admin/{setup.office_id}/services")
    page.goto(live_server.url(f"/admin/{setup.office_id}/services?lang=en"))
    page.click("table.data a >> nth=0")  # the first offer
    page.fill("#duration_minutes", "0")
    page.fill("#ticket_prefix", "a1")
    page.click("text=Save")
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    summary.locator("a[href='#ticket_prefix']").click()
    assert page.evaluate("document.activeElement.id") == "ticket_prefix"
    assert page.get_attribute("#ticket_prefix", "aria-invalid") == "true"
    screenshot(page, "admin-service-errors")
    check_page(page, "admin-service-errors")


def test_closure_on_booked_day_by_browser(page, live_server, setup):
    log_in(page, live_server, f"/admin/{setup.office_id}/closures")
    page.goto(live_server.url(f"/admin/{setup.office_id}/closures?lang=en"))
    page.fill("#first_day", "2026-01-13")
    page.fill("#last_day", "2026-01-13")
    page.fill("#reason", "Power cut")
    page.click("text=Save closure")
    assert "This change affects booked appointments" in page.locator("h1").inner_text()
    for _id, code in setup.appointments:
        assert code in page.content()
    screenshot(page, "admin-closure-confirm")
    check_page(page, "admin-closure-confirm")
    # Move the first appointment (its first offered time), cancel the others.
    page.check(f"#resolve-{setup.appointments[0][0]}-1")
    for appointment_id, _code in setup.appointments[1:]:
        page.check(f"#resolve-{appointment_id}-cancel")
    page.click("text=Save the change and move or cancel as chosen")
    assert "The closure was saved." in page.content()
    db.session.expire_all()
    statuses = [db.session.get(Appointment, i).status for i, _code in setup.appointments]
    assert statuses == [AppointmentStatus.CONFIRMED] + [AppointmentStatus.CANCELLED] * 2
    moved = db.session.get(Appointment, setup.appointments[0][0])
    assert moved.start_at.astimezone(ZoneInfo("Europe/Berlin")).date() != dt.date(2026, 1, 13)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 1
    db.session.rollback()
