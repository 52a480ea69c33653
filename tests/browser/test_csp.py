"""The Content-Security-Policy breaks no page: Chromium reports no violation on the citizen
pages, the proof-of-work in its Web Workers (which fills the hold forms), the live screens and
the staff pages."""

import pytest
from playwright.sync_api import expect

from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.counter import checkin
from terminvergabe.db import db
from tests.auth.staff import PASSWORD, create_staff_set
from tests.counter.helpers import service

pytestmark = pytest.mark.browser

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def scene(office, now, monkeypatch, app):
    monkeypatch.setitem(app.config, "ALTCHA_REQUIRED_DEFAULT", True)
    create_staff_set(office)
    _, display = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    ticket = checkin.walk_in(office, service(office, "Personal").id, now)
    values = {
        "office_id": office.id,
        "counter_id": office.counters[0].id,
        "display": display,
        "ticket": ticket.status_token,
        "service": service(office, "Personal").id,
    }
    db.session.commit()  # SQLite: the server thread needs the write lock
    return values


def test_no_page_violates_the_content_security_policy(browser, live_server, scene):
    context = browser.new_context()
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    violations = {}

    def visit(path, ready=None):
        page.goto(live_server.url(path))
        # `ready` says when the page's scripts have done their work. Without it, a quiet
        # network does. Not both: the proof-of-work script fetches a fresh challenge 30 s after
        # the last one (the app's frozen test clock makes every challenge look expired), so a
        # slow solve on a busy machine can keep the network from ever going quiet.
        if ready is not None:
            ready()
        else:
            page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__cspViolations")
        if found:
            violations[path] = found

    def pow_done():
        field = page.locator('form input[name="altcha"]').first
        expect(field).not_to_have_value("", timeout=30000)  # solved in the Web Workers

    def live(selector):
        return lambda: expect(page.locator(selector)).to_have_attribute("data-connected", "true")

    visit("/?lang=en")
    chosen = f"s={scene['service']}:1&lang=en"
    visit(f"/o/testamt?{chosen}")
    visit(f"/o/testamt/days?{chosen}")
    visit(f"/o/testamt/days/2026-01-13?{chosen}", pow_done)
    visit(f"/display/{scene['display']}?lang=en", live("#display-live"))
    visit(f"/t/{scene['ticket']}?lang=en", live("#ticket-live"))
    page.goto(live_server.url("/staff/login?lang=en"))
    page.get_by_label("Login name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    visit(f"/counter/{scene['counter_id']}/?lang=en", live("#counter-live"))
    visit(f"/desk/{scene['office_id']}/?lang=en", live("#desk-live"))
    visit(f"/admin/{scene['office_id']}/?lang=en")
    visit(f"/admin/{scene['office_id']}/statistics?lang=en")
    console_reports = [m for m in console if "Content Security Policy" in m]
    # The policy is in force and the collector sees what it refuses: an inline script.
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.append(s); }"""
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran") is None
    context.close()
    assert violations == {}
    assert console_reports == []
