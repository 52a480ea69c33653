"""Two municipalities on one installation see nothing of each other.

Municipality A and municipality B each have an office with counters, staff, shifts, opening
hours, a closure, appointments, tickets, devices, waitlist entries and audit entries. Then:

- every staff page and staff API route of `app.url_map` (GET, and POST with a valid CSRF
  token where the route takes POST) is opened by each kind of member of A (office manager,
  front desk, clerk, municipality administrator) with B's ids in the URL: every answer is 403
  or 404, and no answer names anything of B. Routes without ids are opened too (their lists
  must not show B). The routes come from the URL map: a route added later is walked as well,
  and a URL argument nobody has mapped to B's data fails the test until it is.
- every public route (citizen pages, the API, calendar files, ticket status, screens, the
  waitlist) is opened on A's own host name with B's slugs and tokens: 404 (or 403), so that a
  citizen who came to A's address never lands on B's pages under A's name.
"""

import datetime as dt
import secrets

import pytest
from flask import url_for
from itsdangerous import URLSafeTimedSerializer

from terminvergabe import audit
from terminvergabe.auth import operations as auth
from terminvergabe.auth.models import DeviceKind
from terminvergabe.booking import operations as booking
from terminvergabe.booking.models import (
    Closure,
    Counter,
    OfficeMembership,
    OpeningHours,
    Role,
    ShiftException,
    ShiftPattern,
)
from terminvergabe.counter import tickets
from terminvergabe.counter.models import TicketKind
from terminvergabe.db import db
from terminvergabe.fairness.models import WaitlistEntry, WaitlistOffer
from terminvergabe.integrations import operations as hooks
from terminvergabe.integrations.models import WebhookDelivery
from tests import factories
from tests.auth.staff import PASSWORD, log_in

HOST_A = "termine.aachtal.example"
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)

# Routes that are no one's data: the app's files.
NOT_WALKED = {"static": "the app's own CSS, JavaScript and images, the same for everyone"}

# Public routes: anyone on the installation's own host name may open B's office pages and,
# with the secret token, B's appointment, ticket, device or waitlist pages; staff of A are
# not more privileged there than any citizen. They are walked on A's host name instead.
PUBLIC_BLUEPRINTS = ("booking.", "api.", "notify.", "waitlist.")
PUBLIC_ENDPOINTS = {
    "counter.display",
    "counter.display_events",
    "counter.kiosk",
    "counter.kiosk_check_in",
    "counter.kiosk_walk_in",
    "counter.kiosk_ticket",
    "counter.ticket_status",
    "counter.ticket_events",
    "health.healthz",
    "health.scheduler",
    "integrations.feed",
    "metrics.metrics",
}

# Arguments of public routes that name no municipality's data.
FREE_ARGUMENTS = {"date": "2026-01-13"}


class World:
    """Both municipalities' data; `b` maps a URL argument to B's value, `a` to A's."""

    def __init__(self, now):
        self.municipality_a = factories.create_municipality("aachtal", name="Stadt Aachtal")
        self.municipality_a.host = HOST_A
        self.municipality_b = factories.create_municipality("bergdorf", name="Gemeinde Bergdorf")
        self.office_a = factories.create_office(
            slug="amt-aachtal", name="Bürgerbüro Aachtal", municipality=self.municipality_a
        )
        self.office_b = factories.create_office(
            slug="amt-bergdorf",
            name="Bürgerbüro Bergdorf",
            email="buergerbuero@bergdorf.example",
            municipality=self.municipality_b,
        )
        self.members_a = self._members("a", self.office_a, self.municipality_a, "Anna")
        self.members_b = self._members("b", self.office_b, self.municipality_b, "Berta")
        self.a = self._data(self.office_a, now, "Erika Aachtaler")
        self.b = self._data(self.office_b, now, "Bruno Bergdorfer")
        self.b["member_id"] = self.members_b["clerk"].id
        self.a["member_id"] = self.members_a["clerk"].id
        self.a["municipality_id"] = self.municipality_a.id
        self.b["municipality_id"] = self.municipality_b.id
        self.a["municipality_slug"] = self.municipality_a.slug
        self.b["municipality_slug"] = self.municipality_b.slug
        for side, members, municipality in (
            (self.a, self.members_a, self.municipality_a),
            (self.b, self.members_b, self.municipality_b),
        ):
            side.update(self._integrations(members, municipality, now))
        # What may not appear in any answer to A's members.
        self.markers_b = [
            "Bergdorf",
            "Bergbaugenehmigung",
            "Berta",
            "Bruno",
            "bruno.bergdorfer@example.org",
            "buergerbuero@bergdorf.example",
            self.b["booking_code"],
        ]
        db.session.commit()

    @staticmethod
    def _members(key, office, municipality, first_name) -> dict:
        members = {
            "municipality_admin": auth.create_staff(
                f"admin-{key}",
                PASSWORD,
                f"{first_name} Admin",
                [Role.ADMIN],
                municipality=municipality,
            )
        }
        for role in (Role.OFFICE_MANAGER, Role.FRONT_DESK, Role.CLERK):
            members[role.value] = auth.create_staff(
                f"{role.value}-{key}", PASSWORD, f"{first_name} {role.value}", [role], office
            )
        return members

    @staticmethod
    def _integrations(members, municipality, now) -> dict:
        """A webhook endpoint with a delivery, and a calendar feed of the clerk."""
        admin = members["municipality_admin"]
        endpoint, _secret = hooks.create_endpoint(
            municipality.id,
            "https://hooks.example.org/in",
            ["appointment.booked"],
            "ids",
            admin,
            now,
        )
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=f"msg_{municipality.slug}",
            event_type="appointment.booked",
            payload={},
            created_at=now,
            next_attempt_at=now,
        )
        db.session.add(delivery)
        db.session.flush()
        feed = hooks.create_feed(members["clerk"], now, staff=members["clerk"])
        return {"endpoint_id": endpoint.id, "delivery_id": delivery.id, "feed_token": feed}

    @staticmethod
    def _data(office, now, citizen) -> dict:
        service = factories.create_service(
            office,
            "Bergbaugenehmigung" if "Berg" in office.name else "Angelschein",
            15,
            position=4,
        )
        counter = office.counters[0]
        counter.skills.append(service)
        staff = next(m.staff_member for m in counter_members(office))
        email = f"{citizen.lower().replace(' ', '.')}@example.org"
        appointment = booking.hold(office, {service.id: 1}, TUESDAY_10, now)
        booking.confirm(appointment, citizen, email, "0221 1234", now)
        held = booking.hold(office, {service.id: 1}, TUESDAY_10 + dt.timedelta(hours=1), now)
        ticket = tickets.issue(office, service, TicketKind.WALK_IN, now)
        display, display_token = auth.create_device(office, DeviceKind.DISPLAY, "Anzeige", now)
        _kiosk, kiosk_token = auth.create_device(office, DeviceKind.KIOSK, "Kiosk", now)
        closure = Closure(
            office=office, first_day=dt.date(2026, 2, 2), last_day=dt.date(2026, 2, 3)
        )
        exception = ShiftException(
            staff_member=staff, date=dt.date(2026, 1, 14), kind="absence", note="frei"
        )
        entry = WaitlistEntry(
            office=office,
            selection=f"{service.id}:1",
            first_day=dt.date(2026, 1, 20),
            last_day=dt.date(2026, 1, 30),
            citizen_name=citizen,
            citizen_email=email,
            token=secrets.token_urlsafe(24),
            created_at=now,
        )
        offer = WaitlistOffer(
            entry=entry,
            appointment=held,
            start_at=held.start_at,
            token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + dt.timedelta(hours=1),
        )
        db.session.add_all([closure, exception, entry, offer])
        audit.record(None, "test_note", appointment, at=now, office_id=office.id)
        db.session.flush()
        pattern = next(p for p in shift_patterns(office))
        return {
            "office_id": office.id,
            "slug": office.slug,
            "counter_id": counter.id,
            "service_id": service.id,
            "appointment_id": appointment.id,
            "ticket_id": ticket.id,
            "device_id": display.id,
            "closure_id": closure.id,
            "exception_id": exception.id,
            "hours_id": office_hours(office)[0].id,
            "pattern_id": pattern.id,
            "booking_code": appointment.booking_code,
            # tokens by the route that takes them (see _token)
            "manage_token": appointment.manage_token,
            "ticket_token": ticket.status_token,
            "display_token": display_token,
            "kiosk_token": kiosk_token,
            "entry_token": entry.token,
            "offer_token": offer.token,
        }


def counter_members(office):
    return db.session.scalars(
        db.select(OfficeMembership).where(
            OfficeMembership.office_id == office.id, OfficeMembership.roles == "clerk"
        )
    ).all()


def shift_patterns(office):
    return db.session.scalars(
        db.select(ShiftPattern).join(Counter).where(Counter.office_id == office.id)
    ).all()


def office_hours(office):
    return db.session.scalars(
        db.select(OpeningHours).where(OpeningHours.office_id == office.id)
    ).all()


@pytest.fixture
def world(app_ctx, now):
    return World(now)


def _token(endpoint: str, values: dict) -> str:
    """The secret a token route takes: an appointment's, a ticket's, a device's, a waitlist's."""
    if endpoint in ("counter.display", "counter.display_events"):
        return values["display_token"]
    if endpoint.startswith("counter.kiosk"):
        return values["kiosk_token"]
    if endpoint in ("counter.ticket_status", "counter.ticket_events"):
        return values["ticket_token"]
    if endpoint in ("waitlist.confirm", "waitlist.leave"):
        return values["entry_token"]
    if endpoint == "waitlist.offer":
        return values["offer_token"]
    if endpoint == "integrations.feed":
        return values["feed_token"]
    return values["manage_token"]


def _url(app, rule, values: dict) -> str:
    args = {}
    for name in rule.arguments:
        if name == "token":
            args[name] = _token(rule.endpoint, values)
        elif name == "status" and rule.endpoint == "counter.kiosk_ticket":
            args[name] = values["ticket_token"]
        elif name == "slug" and rule.rule.startswith("/k/"):
            args[name] = values["municipality_slug"]  # /k/<slug>/…: a municipality's pages
        elif name in (rule.defaults or {}):
            args[name] = rule.defaults[name]
        elif name in values:
            args[name] = values[name]
        elif name in FREE_ARGUMENTS:
            args[name] = FREE_ARGUMENTS[name]
        else:
            pytest.fail(
                f"{rule.endpoint}: no value of B for the URL argument {name!r}: add it to "
                "World._data (and keep the route refusing other municipalities' data)"
            )
    with app.test_request_context():
        return url_for(rule.endpoint, **args)


def _is_public(endpoint: str) -> bool:
    return endpoint.startswith(PUBLIC_BLUEPRINTS) or endpoint in PUBLIC_ENDPOINTS


def _walked_rules(app, public: bool):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in NOT_WALKED or _is_public(rule.endpoint) != public:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def _csrf(client, app, base_url: str | None = None) -> dict:
    """A valid CSRF token for the client's session, as Flask-WTF makes and checks it."""
    raw = secrets.token_hex(20)
    with client.session_transaction(**({"base_url": base_url} if base_url else {})) as session:
        session["csrf_token"] = raw
    signed = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    return {"data": {"csrf_token": signed}, "headers": {"X-CSRFToken": signed}}


def _open(client, app, method: str, url: str, **kwargs):
    if method == "POST":
        csrf = _csrf(client, app, kwargs.get("base_url"))
        kwargs = {**csrf, **kwargs, "headers": {**csrf["headers"], **kwargs.get("headers", {})}}
    headers = {"Accept": "text/html", **kwargs.pop("headers", {})}
    response = client.open(url, method=method, headers=headers, **kwargs)
    body = "" if response.is_streamed else response.get_data(as_text=True)
    response.close()
    return response.status_code, body


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


MEMBERS = ["office_manager", "front_desk", "clerk", "municipality_admin"]


@pytest.mark.parametrize("member", MEMBERS)
def test_a_member_of_a_gets_nothing_of_b_on_any_staff_route(app, world, csrf_on, member):
    client = app.test_client()
    walked, wrong, leaked = 0, [], []
    for rule, method in _walked_rules(app, public=False):
        log_in(client, world.members_a[member])  # again: a route may have logged them out
        url = _url(app, rule, world.b)
        status, body = _open(client, app, method, url)
        walked += 1
        if rule.arguments and status not in (403, 404):
            wrong.append(f"{method} {url} ({rule.endpoint}): {status}")
        if status >= 500:
            wrong.append(f"{method} {url} ({rule.endpoint}): {status}")
        found = [m for m in world.markers_b if m in body]
        if found:
            leaked.append(f"{method} {url} ({rule.endpoint}) shows {found}")
    assert walked > 40  # the walk really went over the staff routes
    assert not wrong, "\n".join(wrong)
    assert not leaked, "\n".join(leaked)


def test_the_walk_reaches_a_members_own_data(app, world, csrf_on):
    """The same URLs with A's ids answer A's administrator: the refusals above are about B."""
    client = app.test_client()
    refused = []
    for rule, method in _walked_rules(app, public=False):
        if method != "GET" or not rule.arguments:
            continue
        log_in(client, world.members_a["municipality_admin"])
        url = _url(app, rule, world.a)
        status, _ = _open(client, app, method, url)
        if status in (403, 404) or status >= 500:
            refused.append(f"GET {url} ({rule.endpoint}): {status}")
    assert not refused, "\n".join(refused)


def test_nothing_of_b_on_a_municipalitys_host(app, world, csrf_on):
    client = app.test_client()
    wrong = []
    walked = 0
    for rule, method in _walked_rules(app, public=True):
        if not (set(rule.arguments) - set(FREE_ARGUMENTS) - set(rule.defaults or {})):
            continue  # no data of anyone in the URL (the start page, the API document)
        url = _url(app, rule, world.b)
        status, body = _open(client, app, method, url, base_url=f"http://{HOST_A}")
        walked += 1
        found = [m for m in world.markers_b if m in body]
        if status not in (403, 404) or found:
            wrong.append(f"{method} {url} ({rule.endpoint}): {status} {found}")
    assert walked > 20
    assert not wrong, "\n".join(wrong)


def test_on_a_municipalitys_host_the_api_lists_only_its_offices(app, world):
    offices = app.test_client().get("/api/v1/offices", base_url=f"http://{HOST_A}").get_json()
    assert [o["slug"] for o in offices["offices"]] == ["amt-aachtal"]
