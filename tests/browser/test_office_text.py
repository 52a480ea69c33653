"""Names the office typed, marked as German on pages in other languages, where they are easy to
miss: who acted in the audit log (a staff member, or a device such as a kiosk) and the labels of
the statistics charts. test_every_screen.py checks the same on every page; this is the quick
check of these two."""

import datetime as dt

import pytest

from terminvergabe.auth import operations as auth_ops
from terminvergabe.booking.models import Role
from terminvergabe.counter import checkin, tickets
from terminvergabe.db import db
from tests.admin import history
from tests.auth.staff import PASSWORD
from tests.browser.conftest import office_text_without_lang

pytestmark = pytest.mark.browser


@pytest.fixture
def office_id(office, now):
    auth_ops.create_staff("chefin", PASSWORD, "Office Manager", [Role.OFFICE_MANAGER], office)
    clerk = auth_ops.create_staff("clerk", PASSWORD, "Clerk", [Role.CLERK], office)
    checkin.walk_in(office, office.services[0].id, now, actor_name="Kiosk Eingang")
    tickets.call_next(office.counters[0], now, clerk)
    history.generate(office, dt.date(2025, 12, 1), 5, per_day=10, seed=2)
    result = office.id
    db.session.commit()
    return result


def test_audit_log_and_chart_labels_are_marked_german(page, live_server, office_id):
    page.goto(live_server.url("/staff/login"))
    page.fill("input[name=login]", "chefin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    for lang in ("en", "ar"):
        page.goto(live_server.url(f"/admin/{office_id}/audit?lang={lang}"))
        assert "Kiosk Eingang" in page.locator("table.data").inner_text()
        assert not office_text_without_lang(page), f"{lang}/audit"

        period = "first=2025-12-01&last=2025-12-05"
        page.goto(live_server.url(f"/admin/{office_id}/statistics?{period}&lang={lang}"))
        assert page.locator("svg.chart text", has_text="Schalter 1").count() == 1
        assert not office_text_without_lang(page), f"{lang}/statistics"
