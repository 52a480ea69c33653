"""Every page that is not a citizen booking page, in every language, through axe-core and the Nu
Html Checker: staff login, front desk, counter screen, every admin page (lists, edit forms and
their error state, calendar, statistics, data protection), the waiting-room display, the kiosk,
the citizen's phone status page, the printable ticket, the waitlist pages and the error pages.
(The booking pages have their own test in test_booking_pages.py.)

One test per language (they run side by side under pytest-xdist), each on its own data set, in one
browser context per kind of visitor; axe runs page by page, the Nu checker over all documents at
the end. Screenshots for the
pages people look at most, in Arabic (right to left) and some other languages, go to
test-artifacts/. The admin pages are found in the URL map, so new ones are checked without a
change here; a new page elsewhere fails the coverage check at the end until it is added."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field

import flask
import pytest

from terminvergabe import config as config_module
from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.booking import operations as booking_ops
from terminvergabe.booking.models import Appointment, Role, ShiftPattern
from terminvergabe.counter import checkin, tickets
from terminvergabe.counter.waiting import active_ticket
from terminvergabe.db import db
from terminvergabe.fairness import mail as waitlist_mail
from terminvergabe.fairness import waitlist
from terminvergabe.limiter import limiter
from tests import factories
from tests.admin import history
from tests.auth.staff import PASSWORD
from tests.browser.conftest import (
    check_axe,
    check_html_documents,
    office_text_without_lang,
    screenshot,
)

pytestmark = pytest.mark.browser

LANGUAGES = {**config_module.DEFAULTS, **config_module.from_environment()}["LANGUAGES"]
# EVERY_SCREEN_LANGUAGES=de,ar walks the screens in those languages only (CI's second database:
# the pages are the same on both, and German and Arabic cover left-to-right and right-to-left).
WALKED = [
    lang
    for lang in LANGUAGES
    if lang in (os.environ.get("EVERY_SCREEN_LANGUAGES") or ",".join(LANGUAGES)).split(",")
]
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin
TUESDAY_0800 = dt.datetime(2026, 1, 13, 7, 0, tzinfo=dt.UTC)
MOBILE = {"width": 320, "height": 720}
DESKTOP = {"width": 1280, "height": 900}
DISPLAY = {"width": 1920, "height": 1080}

# Pages that are not HTML for people (streams, files, JSON) or are checked elsewhere (the
# municipality pages, which an office manager may not open: in test_branding.py).
NOT_PAGES = re.compile(
    r"(^static$|^api\.|^booking\.|\.events$|_events$|_state$|\.state$|_csv$|challenge$"
    r"|^health|^metrics|^notify\.|\.logout$|^admin\.index$"
    # the municipality's pages, for its administrators: tests/browser/test_admin_city.py
    r"|^admin\.(offices|office_new|office_edit|catalogue_\w+|municipalit\w+|membership_\w+)$"
    # The sign-in steps after the login page: in every language in test_staff_login.py.
    r"|^auth\.(code|enrol|oidc_login|oidc_callback)$"
    # The webhook and calendar feed pages have their own checks: test_webhooks_pages.py.
    r"|^integrations\.|^admin\.webhook|^admin\.feed_policy$)"
)
# POST-only endpoints reached by a form on a checked page.
ACTIONS = re.compile(
    r"(delete|revoke|call_next|recall|no_show|start|finish|park|transfer|requeue|walk_in"
    r"|check_in|cancel_appointment|device_create)"
)
SCREENSHOTS = {
    "ar": {
        "display",
        "front-desk",
        "counter-called",
        "kiosk",
        "phone-called",
        "admin-office",
        "admin-calendar-week",
        "admin-statistics",
        "ticket-print",
        "waitlist-register",
    },
    "tr": {"admin-office", "admin-services-errors", "admin-statistics", "admin-shifts"},
    "uk": {"phone-waiting", "phone-called", "waitlist-offer"},
    "de": {"display", "front-desk"},
}


@dataclass
class Scene:
    office_id: int
    slug: str
    counter_ids: list[int]
    service_id: int
    member_id: int
    pattern_id: int
    ticket_id: int
    display: str
    kiosk: str
    phone_waiting: str
    phone_called: str
    booked_day: str
    scarce_slug: str
    scarce_services: str
    scarce_booked: list[int]
    mails: list = field(default_factory=list)


def _anmeldung(office) -> dict[int, int]:
    return {next(s.id for s in office.services if s.name == "Anmeldung einer Wohnung"): 1}


@pytest.fixture
def scene(live_server, now, app):
    office = factories.create_office()
    db.session.flush()
    auth_ops.create_staff("chefin", PASSWORD, "Office Manager", [Role.OFFICE_MANAGER], office)
    clerk = auth_ops.create_staff("clerk", PASSWORD, "Clerk", [Role.CLERK], office)
    db.session.flush()
    history.generate(office, dt.date(2025, 12, 1), 19, per_day=10, seed=2)
    personal = next(s for s in office.services if s.name.startswith("Personal"))
    for email in ("a@example.org", "b@example.org"):
        appointment = booking_ops.hold(office, {personal.id: 1}, TUESDAY_10, now)
        booking_ops.confirm(appointment, "Anna Beispiel", email, "0221 12345", now)
    _, display = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    _, kiosk = auth_ops.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    called = checkin.walk_in(office, personal.id, now)
    # issued at the kiosk: the audit log names the device, a name the office typed
    waiting = checkin.walk_in(office, personal.id, now, actor_name="Kiosk Eingang")
    checkin.walk_in(office, personal.id, now, priority=True)
    db.session.flush()
    tickets.call_next(office.counters[0], now, clerk)  # an audit entry with a counter
    # the priority ticket was called first; the two others wait
    db.session.flush()
    called_token = active_ticket(office.counters[0]).status_token

    scarce = factories.create_office(
        slug="kleines-amt",
        name="Bürgerbüro Kleinstadt",
        counters=1,
        hours=(dt.time(8), dt.time(8, 50)),
        horizon_days=2,
        hold_minutes=10,
        cancel_deadline_minutes=60,
    )
    db.session.flush()
    scarce_booked = []
    for day in (0, 1):
        for minutes in range(0, 50, 10):
            start = TUESDAY_0800 + dt.timedelta(days=day, minutes=minutes)
            appointment = booking_ops.hold(scarce, _anmeldung(scarce), start, now)
            booking_ops.confirm(
                appointment, "Citizen", f"c{len(scarce_booked)}@example.org", "", now
            )
            scarce_booked.append(appointment.id)
    pattern_id = (
        db.session.query(ShiftPattern.id)
        .filter(ShiftPattern.counter_id == office.counters[0].id)
        .first()[0]
    )
    result = Scene(
        office_id=office.id,
        slug=office.slug,
        counter_ids=[c.id for c in office.counters],
        service_id=personal.id,
        member_id=clerk.id,
        pattern_id=pattern_id,
        ticket_id=waiting.id,
        display=display,
        kiosk=kiosk,
        phone_waiting=waiting.status_token,
        phone_called=called_token or called.status_token,
        booked_day="2026-01-13",
        scarce_slug=scarce.slug,
        scarce_services=",".join(f"{k}:{v}" for k, v in _anmeldung(scarce).items()),
        scarce_booked=scarce_booked,
    )
    db.session.commit()  # SQLite: the server thread needs the write lock

    def keep(sender, **message):
        result.mails.append(message)

    waitlist_mail.waitlist_mail.connect(keep)
    saved = {
        key: app.config.get(key, _UNSET)
        for key in ("FAIRNESS_LIMIT_WAITLIST", "FAIRNESS_LIMIT_WAITLIST_EMAIL", "LOGIN_RATE_LIMIT")
    }
    app.config.update(
        FAIRNESS_LIMIT_WAITLIST="1000/hour",
        FAIRNESS_LIMIT_WAITLIST_EMAIL="1000/hour",
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    limiter.reset()
    yield result
    for key, value in saved.items():  # a setting that was not there goes again
        if value is _UNSET:
            app.config.pop(key, None)
        else:
            app.config[key] = value
    waitlist_mail.waitlist_mail.disconnect(keep)
    limiter.reset()


_UNSET = object()


class Checker:
    """Runs axe-core on each page as it is shown, keeps the HTML for one Nu checker run, and
    remembers which endpoints the server answered."""

    def __init__(self, live_server):
        self.live_server = live_server
        self.documents: dict[str, str] = {}
        self.lang = ""
        self.count = 0
        self.unmarked: list[str] = []

    def url(self, path: str) -> str:
        return self.live_server.url(path)

    def check(self, page, name: str, reflow: bool = False) -> None:
        page.wait_for_load_state()  # a page a click is still loading has no document yet
        self.documents[f"{self.lang}/{name} ({page.url})"] = page.content()
        if reflow:
            size = page.viewport_size
            page.set_viewport_size(MOBILE)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= MOBILE["width"], (
                f"{self.lang}/{name} scrolls sideways at 320 px ({width} px)"
            )
            if name in SCREENSHOTS.get(self.lang, ()):
                screenshot(page, f"every-{self.lang}-{name}-320")
            page.set_viewport_size(size)
        if name in SCREENSHOTS.get(self.lang, ()):
            screenshot(page, f"every-{self.lang}-{name}")
        if self.lang != "de":
            unmarked = office_text_without_lang(page)
            self.unmarked.extend(f"{self.lang}/{name}: {html}" for html in unmarked)
        check_axe(page)
        self.count += 1

    def visit(self, page, path: str, name: str, reflow: bool = False, status: int = 200):
        response = page.goto(self.url(path))
        assert response.status == status, f"{path}: {response.status}"
        self.check(page, name, reflow)


def submit_emptied(page, index: int = 0) -> None:
    """Submit the index-th admin form with its text fields emptied: its error state."""
    with page.expect_navigation():
        page.evaluate(
            """index => {
              const form = document.querySelectorAll('form.admin-form')[index];
              for (const el of form.elements) {
                if (el.matches('input:not([type=hidden]):not([type=checkbox]):not([type=radio])'
                               + ':not([type=submit]), textarea')) el.value = '';
              }
              form.querySelector('button[type=submit], button:not([type])').click();
            }""",
            index,
        )


def admin_pages(app, scene: Scene) -> list[tuple[str, str]]:
    """(name, path) of every admin page a GET shows, from the URL map."""
    ids = {
        "office_id": scene.office_id,
        "counter_id": scene.counter_ids[0],
        "service_id": scene.service_id,
        "member_id": scene.member_id,
        "pattern_id": scene.pattern_id,
    }
    extra = {
        "admin.office_calendar": "?date=2026-01-13",
        "admin.statistics": "?first=2025-12-01&last=2025-12-19",
    }
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods:
            continue
        if NOT_PAGES.search(rule.endpoint) or not set(rule.arguments) <= set(ids):
            continue
        with app.test_request_context():
            path = flask.url_for(rule.endpoint, **{k: ids[k] for k in rule.arguments})
        name = "admin-" + (rule.endpoint.split(".", 1)[1].replace("_", "-"))
        pages.append((name, path + extra.get(rule.endpoint, "")))
        if rule.endpoint == "admin.office_calendar":
            pages.append(("admin-calendar-week", path + "?date=2026-01-13&view=week"))
    return pages


@pytest.mark.parametrize("lang", WALKED)
def test_every_screen_in_every_language(browser, live_server, scene, app, lang):
    """One language per test, so that the languages can run side by side (pytest-xdist)."""
    number = LANGUAGES.index(lang)
    checker = Checker(live_server)
    answered: set[str] = set()

    def seen(sender, **_extra):
        if flask.request.endpoint:
            answered.add(flask.request.endpoint)

    flask.request_started.connect(seen, app)
    contexts = {
        "staff": browser.new_context(viewport=DESKTOP),
        "guest": browser.new_context(viewport=DESKTOP),
        "display": browser.new_context(viewport=DISPLAY),
        "phone": browser.new_context(viewport={"width": 390, "height": 844}),
    }
    staff, guest, display, phone = (c.new_page() for c in contexts.values())
    try:
        staff.goto(live_server.url("/staff/login?lang=en"))
        staff.fill("input[name=login]", "chefin")
        staff.fill("input[name=password]", PASSWORD)
        staff.click("button[type=submit]")
        pages = admin_pages(app, scene)
        checker.lang = lang
        for context in contexts.values():
            context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url()}])
        check_staff_screens(checker, staff, scene, pages, number)
        check_public_screens(checker, guest, display, phone, scene, number)
        check_waitlist(checker, guest, scene, number)
        check_error_pages(checker, guest, app, scene)
    finally:
        flask.request_started.disconnect(seen, app)
        for context in contexts.values():
            context.close()

    assert not checker.unmarked, "office text without lang=de:\n" + "\n".join(checker.unmarked)
    check_html_documents(checker.documents)
    print(f"{checker.count} pages checked in {lang}")
    missing = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not NOT_PAGES.search(rule.endpoint)
        and rule.endpoint not in answered
    } | {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods <= {"POST", "OPTIONS"}
        and not NOT_PAGES.search(rule.endpoint)
        and not ACTIONS.search(rule.endpoint)
        and rule.endpoint not in answered
    }
    assert not missing, f"pages not checked in {lang}: {sorted(missing)}"


def check_staff_screens(checker: Checker, page, scene: Scene, admin: list, number: int) -> None:
    office = scene.office_id
    checker.visit(page, "/staff/", "staff-home")
    checker.visit(page, f"/desk/{office}/", "front-desk")
    page.fill("#checkin-code", "NOPE-NOPE")
    page.click("#checkin-form button[type=submit]")
    checker.check(page, "front-desk-unknown-code")
    checker.visit(page, f"/desk/{office}/?ticket={scene.ticket_id}", "front-desk-last-ticket")
    checker.visit(page, f"/desk/{office}/tickets/{scene.ticket_id}/print", "ticket-print")
    checker.visit(page, f"/desk/{office}/devices", "devices")
    page.fill(
        "#device-name" if page.locator("#device-name").count() else "input[name=name]",
        f"Bildschirm {number}",
    )
    page.click("form[action$='/devices'] button[type=submit]")
    checker.check(page, "devices-created")
    checker.visit(page, f"/counter/{scene.counter_ids[0]}/", "counter-called")
    checker.visit(page, f"/counter/{scene.counter_ids[1]}/", "counter-idle")
    for name, path in admin:
        checker.visit(page, path, name)
        for index in range(page.locator("form.admin-form").count()):
            submit_emptied(page, index)
            checker.check(page, f"{name}-errors{index or ''}")
            page.goto(checker.url(path))
    # a closure on a booked day asks what to do with the appointments
    page.goto(checker.url(f"/admin/{office}/closures"))
    page.fill("#first_day", scene.booked_day)
    page.fill("#last_day", scene.booked_day)
    page.fill("#reason", "Stromausfall")
    page.click("form.admin-form button[type=submit]")
    assert page.locator("input[type=radio]").count() > 0
    checker.check(page, "admin-confirm-change")


def check_public_screens(checker: Checker, guest, display, phone, scene, number) -> None:
    checker.visit(display, f"/display/{scene.display}", "display")
    checker.visit(guest, f"/kiosk/{scene.kiosk}", "kiosk", reflow=True)
    guest.fill("#checkin-code", "NOPE-NOPE")
    guest.click("#checkin-form button[type=submit]")
    checker.check(guest, "kiosk-unknown-code", reflow=True)
    guest.goto(checker.url(f"/kiosk/{scene.kiosk}"))
    guest.click(".kiosk-service >> nth=0")
    checker.check(guest, "kiosk-ticket", reflow=True)
    checker.visit(phone, f"/t/{scene.phone_waiting}", "phone-waiting", reflow=True)
    checker.visit(phone, f"/t/{scene.phone_called}", "phone-called", reflow=True)
    checker.visit(guest, "/staff/login", "login", reflow=True)
    guest.fill("input[name=login]", "chefin")
    guest.fill("input[name=password]", "wrong password")
    guest.click("button[type=submit]")
    checker.check(guest, "login-failed", reflow=True)


def check_waitlist(checker: Checker, page, scene: Scene, number: int) -> None:
    services = scene.scarce_services
    checker.visit(
        page, f"/waitlist/{scene.scarce_slug}?services={services}", "waitlist-register", reflow=True
    )
    page.fill("#last_day", "2026-01-14")
    page.fill("#name", "Ada Lovelace")
    page.fill("#email", "not an address")
    page.click("form button[type=submit]")
    checker.check(page, "waitlist-register-errors", reflow=True)
    page.fill("#email", f"ada{number}@example.org")
    page.click("form button[type=submit]")
    checker.check(page, "waitlist-registered", reflow=True)
    link = next(m["link"] for m in reversed(scene.mails) if m["kind"] == "confirm")
    path = re.sub(r"^https?://[^/]+", "", link)
    checker.visit(page, path, "waitlist-confirm", reflow=True)
    page.click("form button[type=submit]")
    checker.check(page, "waitlist-confirmed", reflow=True)

    # a booked time becomes free: this entry (the only one still waiting) gets the offer
    db.session.rollback()
    booking_ops.cancel(db.session.get(Appointment, scene.scarce_booked[number]), checker_now())
    db.session.commit()
    link = next(m["link"] for m in reversed(scene.mails) if m["kind"] == "offer")
    path = re.sub(r"^https?://[^/]+", "", link)
    checker.visit(page, path, "waitlist-offer", reflow=True)
    page.click("form button[type=submit]")
    checker.check(page, "waitlist-booked", reflow=True)

    entry = waitlist.register(
        db.session.get(Appointment, scene.scarce_booked[0]).office,
        {int(k): int(v) for k, v in (p.split(":") for p in services.split(","))},
        dt.date(2026, 1, 13),
        dt.date(2026, 1, 14),
        "Ada",
        f"leave{number}@example.org",
        checker.lang,
        checker_now(),
    )
    token = entry.token
    db.session.commit()
    checker.visit(page, f"/waitlist/leave/{token}", "waitlist-leave", reflow=True)
    page.click("form button[type=submit]")
    checker.check(page, "waitlist-left", reflow=True)
    # the confirmation link of an entry that left is gone (410)
    post(page, checker.url(f"/waitlist/confirm/{token}"))
    checker.check(page, "error-410", reflow=True)


def post(page, url: str) -> None:
    """Send an empty form to url, as a stale page would (CSRF is off in tests)."""
    with page.expect_navigation():
        page.evaluate(
            """url => {
              const form = document.createElement('form');
              form.method = 'post';
              form.action = url;
              document.body.append(form);
              form.submit();
            }""",
            url,
        )


def checker_now() -> dt.datetime:
    return flask.current_app.config["FROZEN_NOW"]


def check_error_pages(checker: Checker, page, app, scene: Scene) -> None:
    checker.visit(page, "/staff/no-such-page", "error-404", reflow=True, status=404)
    checker.visit(
        page, "/waitlist/offer/no-such-offer", "error-404-waitlist", reflow=True, status=404
    )
    saved = app.config["FAIRNESS_LIMIT_SEARCH"]
    app.config["FAIRNESS_LIMIT_SEARCH"] = "1/hour"
    try:
        days = f"/o/{scene.slug}/days?s={scene.service_id}"
        page.goto(checker.url(days))
        checker.visit(page, days, "error-429", reflow=True, status=429)
    finally:
        app.config["FAIRNESS_LIMIT_SEARCH"] = saved
        limiter.reset()
