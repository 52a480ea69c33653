"""The JSON API (terminvergabe/citizen/api.py): every endpoint, the whole booking flow, hostile
input, languages, and the served OpenAPI document. Every JSON response a test receives through
the `api` fixture is validated against the schema the document gives for it."""

import datetime as dt
import os
import re

import flask
import flask_babel
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.specs.openapi.checks import positive_data_acceptance

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.citizen import openapi
from terminvergabe.config import DEFAULTS
from terminvergabe.db import db
from terminvergabe.limiter import limiter
from tests import factories

# A Tuesday, the day after the test clock (Monday 09:00 Berlin); winter, so UTC+1.
DAY = "2026-01-13"
START = "2026-01-13T10:00:00+01:00"
START_UTC = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)


class Api:
    """The Flask test client, plus a check of each response against the OpenAPI document.

    Requests here share the test's app context, and with it Flask-Babel's cached locale (on
    `g`); it is refreshed before each request, as a real server starts each one afresh."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.document = client.get("/api/v1/openapi.json").get_json()
        self.registry = Registry().with_resource(
            "urn:api", Resource.from_contents(self.document, default_specification=DRAFT202012)
        )

    def get(self, url, **kwargs):
        flask_babel.refresh()
        return self._checked("GET", url, self.client.get(url, **kwargs))

    def post(self, url, **kwargs):
        flask_babel.refresh()
        return self._checked("POST", url, self.client.post(url, **kwargs))

    def _checked(self, method, url, response):
        assert response.is_json, response.data[:200]
        assert response.status_code < 500, response.get_json()
        path = _documented_path(self.app, method, url)
        if path is not None:
            responses = self.document["paths"][path][method.lower()]["responses"]
            status = str(response.status_code)
            key = status if status in responses else "default"
            pointer = "/".join(
                ["#/paths", _escape(path), method.lower(), "responses", key]
                + ["content", "application~1json", "schema"]
            )
            validator = Draft202012Validator(
                {"$ref": f"urn:api{pointer}"},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            validator.validate(response.get_json())
        return response


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def _documented_path(app, method, url):
    """The OpenAPI path of a URL (None when no API route matches it)."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(url.split("?")[0], method=method, return_rule=True)
    except Exception:  # noqa: BLE001  (404/405: the error schema is checked by the caller)
        return None
    return _openapi_path(rule.rule)


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix("/api/v1"))


@pytest.fixture(autouse=True)
def no_bot_defences(app):
    """Rate limits, proof-of-work and the open-hold cap are tested in tests/fairness; here one
    client makes many holds on purpose."""
    saved = {key: app.config.get(key) for key in FAIR_ACCESS_OFF}
    app.config.update(FAIR_ACCESS_OFF)
    enabled, limiter.enabled = limiter.enabled, False
    yield
    limiter.enabled = enabled
    app.config.update(saved)


FAIR_ACCESS_OFF = {"ALTCHA_REQUIRED_DEFAULT": False, "FAIRNESS_MAX_OPEN_HOLDS": 1_000_000}


@pytest.fixture
def api(app_ctx, client):
    return Api(app_ctx, client)


def ids(office):
    return {s.name: s.id for s in office.services}


def passport(office, quantity=2):
    return [{"id": ids(office)["Reisepass beantragen"], "quantity": quantity}]


def hold(api, office, start=START, services=None, headers=None, **extra):
    body = {"services": services or passport(office), "start": start, **extra}
    return api.post(f"/api/v1/offices/{office.slug}/holds", json=body, headers=headers)


def booked(api, office, email="erika@example.org", start=START):
    token = hold(api, office, start=start).get_json()["token"]
    response = api.post(
        f"/api/v1/appointments/{token}/confirm",
        json={"name": "Erika Mustermann", "email": email, "phone": "+49 221 123456"},
    )
    assert response.status_code == 200, response.get_json()
    return token


def appointment_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Appointment))


def current_now():
    return flask.current_app.config["FROZEN_NOW"]


def move_clock(app, to):
    app.config["FROZEN_NOW"] = to


# -- reading ---------------------------------------------------------------------------------


def test_offices_list_address_zone_and_booking_rules(api, office):
    body = api.get("/api/v1/offices").get_json()
    (listed,) = body["offices"]
    assert listed["slug"] == "testamt"
    assert listed["address"] == {"street": "Markt 1", "postcode": "50667", "city": "Köln"}
    assert listed["time_zone"] == "Europe/Berlin"
    assert listed["bundesland"] == "NW"
    assert listed["booking_rules"]["hold_minutes"] == 10
    assert listed["booking_rules"]["cancel_deadline_minutes"] == 24 * 60
    assert listed["links"]["holds"] == "/api/v1/offices/testamt/holds"


def test_services_are_the_public_active_ones(api, office):
    factories.create_service(office, "Internes Verfahren", 15, public=False)
    factories.create_service(office, "Eingestellt", 15, active=False)
    db.session.commit()
    body = api.get("/api/v1/offices/testamt/services").get_json()
    names = [s["name"] for s in body["services"]]
    assert names == [
        "Personalausweis beantragen",
        "Reisepass beantragen",
        "Anmeldung einer Wohnung",
    ]
    first = body["services"][0]
    assert first["leika_id"] == "99102013000000"
    assert first["duration_minutes"] == 20
    assert set(first) >= {"id", "max_quantity", "what_to_bring"}


def test_unknown_office_is_not_found(api, app_ctx):
    for url in ("/api/v1/offices/nirgendwo/services", "/api/v1/offices/nirgendwo/days?services=1"):
        response = api.get(url)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_days_have_free_times_for_the_selection(api, office):
    sid = ids(office)["Reisepass beantragen"]
    body = api.get(f"/api/v1/offices/testamt/days?services={sid}:2").get_json()
    assert body["duration_minutes"] == 40
    assert body["services"] == [{"id": sid, "quantity": 2}]
    assert DAY in body["days"]
    assert "2026-01-17" not in body["days"]  # a Saturday: closed
    assert all(dt.date.fromisoformat(d).weekday() < 5 for d in body["days"])


def test_times_in_office_zone_and_utc(api, office):
    sid = ids(office)["Reisepass beantragen"]
    body = api.get(f"/api/v1/offices/testamt/times?services={sid}:2&date={DAY}").get_json()
    times = body["times"]
    assert times[0] == {
        "start": "2026-01-13T08:00:00+01:00",
        "start_utc": "2026-01-13T07:00:00Z",
        "end": "2026-01-13T08:40:00+01:00",
        "end_utc": "2026-01-13T07:40:00Z",
    }
    assert times[-1]["end"] == "2026-01-13T12:00:00+01:00"  # the whole 40 minutes fit
    for time in times:
        local, utc = (dt.datetime.fromisoformat(time[k]) for k in ("start", "start_utc"))
        assert local == utc


def test_times_in_summer_carry_the_summer_offset(api, office, app_ctx):
    move_clock(app_ctx, dt.datetime(2026, 6, 1, 6, 0, tzinfo=dt.UTC))
    sid = ids(office)["Anmeldung einer Wohnung"]
    times = api.get(f"/api/v1/offices/testamt/times?services={sid}&date=2026-06-02").get_json()
    assert times["times"][0]["start"] == "2026-06-02T08:00:00+02:00"
    assert times["times"][0]["start_utc"] == "2026-06-02T06:00:00Z"


def test_times_outside_the_booking_window_are_empty(api, office):
    sid = ids(office)["Anmeldung einer Wohnung"]
    for day in ("2025-12-01", "2027-01-12"):
        body = api.get(f"/api/v1/offices/testamt/times?services={sid}&date={day}").get_json()
        assert body["times"] == []


# -- the booking flow ------------------------------------------------------------------------


def test_hold_confirm_get_rebook_cancel(api, office, app_ctx):
    held = hold(api, office, locale="en")
    assert held.status_code == 201
    body = held.get_json()
    token = body["token"]
    assert held.headers["Location"] == f"/api/v1/appointments/{token}"
    assert body["status"] == "held"
    assert body["start"] == START and body["end"] == "2026-01-13T10:40:00+01:00"
    assert body["hold_expires_at"] == "2026-01-12T08:10:00Z"
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", body["booking_code"])
    assert body["locale"] == "en"
    assert body["checkin_token"] is None
    assert len(token) >= 22  # at least 128 random bits

    confirmed = api.post(
        f"/api/v1/appointments/{token}/confirm",
        json={"name": " Erika Mustermann ", "email": "Erika@Example.org"},
    ).get_json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["hold_expires_at"] is None
    assert confirmed["contact"] == {
        "name": "Erika Mustermann",
        "email": "erika@example.org",
        "phone": "",
    }
    assert confirmed["checkin_token"] and confirmed["checkin_token"] != token
    assert confirmed["can_cancel"] and confirmed["can_rebook"]

    got = api.get(f"/api/v1/appointments/{token}").get_json()
    assert got == confirmed

    moved = api.post(
        f"/api/v1/appointments/{token}/rebook", json={"start": "2026-01-14T09:00:00+01:00"}
    ).get_json()
    assert moved["status"] == "confirmed"
    assert moved["start"] == "2026-01-14T09:00:00+01:00"
    assert moved["end"] == "2026-01-14T09:40:00+01:00"
    assert moved["booking_code"] == confirmed["booking_code"]

    cancelled = api.post(f"/api/v1/appointments/{token}/cancel").get_json()
    assert cancelled["status"] == "cancelled"
    assert not cancelled["can_cancel"]
    again = api.post(f"/api/v1/appointments/{token}/cancel", json={})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "cancelled"
    # the freed time is offered again
    sid = ids(office)["Reisepass beantragen"]
    times = api.get(f"/api/v1/offices/testamt/times?services={sid}:2&date=2026-01-14").get_json()
    assert "2026-01-14T09:00:00+01:00" in [t["start"] for t in times["times"]]


def test_hold_without_locale_takes_the_request_language(api, office):
    body = hold(api, office, headers={"Accept-Language": "en-GB,en;q=0.8"}).get_json()
    assert body["locale"] == "en"
    body = hold(api, office).get_json()
    assert body["locale"] == "de"


def test_a_held_hold_can_be_cancelled(api, office):
    token = hold(api, office).get_json()["token"]
    body = api.post(f"/api/v1/appointments/{token}/cancel").get_json()
    assert body["status"] == "cancelled"


def test_double_opt_in_office_leaves_the_booking_pending(api, app_ctx):
    office = factories.create_office(double_opt_in=True, opt_in_minutes=30)
    db.session.commit()
    token = hold(api, office).get_json()["token"]
    body = api.post(
        f"/api/v1/appointments/{token}/confirm", json={"name": "A", "email": "a@example.org"}
    ).get_json()
    assert body["status"] == "pending"
    assert body["hold_expires_at"] == "2026-01-12T08:30:00Z"
    assert body["checkin_token"] is None


def test_slot_taken_is_409_with_alternatives(api, office):
    for _ in range(2):  # two counters
        assert hold(api, office).status_code == 201
    response = hold(api, office, headers={"Accept-Language": "en"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "slot_taken"
    assert error["message"] == "This time has just been taken. Please choose another one."
    alternatives = error["alternatives"]
    assert alternatives and START not in [a["start"] for a in alternatives]
    sid = ids(office)["Reisepass beantragen"]
    free = api.get(f"/api/v1/offices/testamt/times?services={sid}:2&date={DAY}").get_json()
    free_starts = {t["start"] for t in free["times"]}
    assert {a["start"] for a in alternatives} <= free_starts
    assert appointment_count() == 2


def test_rebook_to_a_taken_time_keeps_the_appointment(api, office):
    token = booked(api, office)
    taken = "2026-01-14T09:00:00+01:00"
    hold(api, office, start=taken)
    hold(api, office, start=taken)
    response = api.post(f"/api/v1/appointments/{token}/rebook", json={"start": taken})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "slot_taken"
    assert api.get(f"/api/v1/appointments/{token}").get_json()["start"] == START


def test_email_cap(api, app_ctx):
    office = factories.create_office(max_active_per_email=2)
    db.session.commit()
    booked(api, office, start="2026-01-13T08:00:00+01:00")
    booked(api, office, start="2026-01-13T09:00:00+01:00")
    token = hold(api, office).get_json()["token"]
    response = api.post(
        f"/api/v1/appointments/{token}/confirm?lang=de",
        json={"name": "Erika", "email": "ERIKA@example.org"},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "email_cap"
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "held"


def test_cancellation_deadline(api, office, app_ctx, now):
    token = booked(api, office)
    # 23 hours before the start: past the office's 24-hour deadline
    move_clock(app_ctx, START_UTC - dt.timedelta(hours=23))
    body = api.get(f"/api/v1/appointments/{token}").get_json()
    assert not body["can_cancel"] and not body["can_rebook"]
    assert body["cancel_deadline"] == "2026-01-12T10:00:00+01:00"
    response = api.post(f"/api/v1/appointments/{token}/cancel", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "cancel_deadline",
        "message": "This appointment can no longer be cancelled online. Please contact the office.",
    }
    response = api.post(
        f"/api/v1/appointments/{token}/rebook", json={"start": "2026-01-14T09:00:00+01:00"}
    )
    assert response.get_json()["error"]["code"] == "rebook_deadline"
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "confirmed"


def test_lapsed_hold_is_expired_when_read(api, office, app_ctx, now):
    token = hold(api, office).get_json()["token"]
    move_clock(app_ctx, now + dt.timedelta(minutes=11))
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "expired"
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Appointment).where(Appointment.manage_token == token))
    assert stored.status == AppointmentStatus.EXPIRED  # committed, not only rendered


@pytest.mark.parametrize("action", ["confirm", "cancel", "rebook"])
def test_lapsed_hold_cannot_be_used(api, office, app_ctx, now, action):
    token = hold(api, office).get_json()["token"]
    move_clock(app_ctx, now + dt.timedelta(minutes=11))
    body = {
        "confirm": {"name": "A", "email": "a@example.org"},
        "cancel": {},
        "rebook": {"start": "2026-01-14T09:00:00+01:00"},
    }[action]
    response = api.post(f"/api/v1/appointments/{token}/{action}", json=body)
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "hold_expired"
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "expired"


def test_hold_expired_by_the_sweep_reads_as_expired(api, office, app_ctx, now):
    token = hold(api, office).get_json()["token"]
    operations.expire_lapsed(now + dt.timedelta(minutes=11))
    db.session.commit()
    move_clock(app_ctx, now + dt.timedelta(minutes=12))
    response = api.post(
        f"/api/v1/appointments/{token}/confirm", json={"name": "A", "email": "a@example.org"}
    )
    assert response.status_code == 410


def test_numeric_id_is_never_an_appointment_address(api, office):
    token = booked(api, office)
    appointment = db.session.scalar(sa.select(Appointment).where(Appointment.manage_token == token))
    body = api.get(f"/api/v1/appointments/{token}").get_json()
    assert "id" not in body
    for url in (f"/api/v1/appointments/{appointment.id}", "/api/v1/appointments/1"):
        response = api.get(url)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


# -- hostile input ---------------------------------------------------------------------------

HUGE = 10**30


def _service_id(office, name="Reisepass beantragen"):
    return ids(office)[name]


HOLD_BODIES = {
    "services not a list": (lambda o: {"services": "2:1", "start": START}, 422, "invalid_body"),
    "id as text": (lambda o: {"services": [{"id": "2"}], "start": START}, 422, "invalid_body"),
    "quantity true": (
        lambda o: {"services": [{"id": _service_id(o), "quantity": True}], "start": START},
        422,
        "invalid_body",
    ),
    "quantity float": (
        lambda o: {"services": [{"id": _service_id(o), "quantity": 1.5}], "start": START},
        422,
        "invalid_body",
    ),
    "start as number": (
        lambda o: {"services": passport(o), "start": 1767261600},
        422,
        "invalid_body",
    ),
    "huge id": (lambda o: {"services": [{"id": HUGE}], "start": START}, 422, "invalid_body"),
    "huge quantity": (
        lambda o: {"services": [{"id": _service_id(o), "quantity": HUGE}], "start": START},
        422,
        "invalid_body",
    ),
    "quantity above max": (
        lambda o: {"services": passport(o, quantity=5), "start": START},
        422,
        "quantity",
    ),
    "negative quantity": (
        lambda o: {"services": passport(o, quantity=-2), "start": START},
        422,
        "invalid_body",
    ),
    "zero quantity": (
        lambda o: {"services": passport(o, quantity=0), "start": START},
        422,
        "invalid_body",
    ),
    "no services": (lambda o: {"services": [], "start": START}, 422, "no_service"),
    "unknown service": (
        lambda o: {"services": [{"id": 987654}], "start": START},
        422,
        "unknown_service",
    ),
    "item not an object": (lambda o: {"services": [2], "start": START}, 422, "invalid_body"),
    "unknown item field": (
        lambda o: {"services": [{"id": _service_id(o), "price": 0}], "start": START},
        422,
        "invalid_body",
    ),
    "too many items": (
        lambda o: {"services": [{"id": i} for i in range(1, 30)], "start": START},
        422,
        "invalid_body",
    ),
    "naive start": (
        lambda o: {"services": passport(o), "start": "2026-01-13T10:00:00"},
        422,
        "bad_start",
    ),
    "date only start": (lambda o: {"services": passport(o), "start": DAY}, 422, "bad_start"),
    "garbage start": (lambda o: {"services": passport(o), "start": "morgen"}, 422, "bad_start"),
    "far future start": (
        lambda o: {"services": passport(o), "start": "9999-12-31T23:59:59-14:00"},
        422,
        "bad_start",
    ),
    "far past start": (
        lambda o: {"services": passport(o), "start": "0001-01-01T00:00:00+14:00"},
        422,
        "bad_start",
    ),
    "start off the grid": (
        lambda o: {"services": passport(o), "start": "2026-01-13T10:03:00+01:00"},
        409,
        "slot_taken",
    ),
    "start on a Sunday": (
        lambda o: {"services": passport(o), "start": "2026-01-18T10:00:00+01:00"},
        409,
        "slot_taken",
    ),
    "missing start": (lambda o: {"services": passport(o)}, 422, "invalid_body"),
    "unknown field": (
        lambda o: {"services": passport(o), "start": START, "admin": True},
        422,
        "invalid_body",
    ),
    "unknown locale": (
        lambda o: {"services": passport(o), "start": START, "locale": "xx"},
        422,
        "invalid_body",
    ),
    "body is a list": (lambda o: [{"services": passport(o)}], 400, "malformed_json"),
    "body is null": (lambda o: None, 400, "malformed_json"),
}


@pytest.mark.parametrize("case", HOLD_BODIES, ids=list(HOLD_BODIES))
def test_hostile_hold_bodies_are_refused_and_change_nothing(api, office, case):
    make, status, code = HOLD_BODIES[case]
    body = make(office)
    response = api.post(
        "/api/v1/offices/testamt/holds",
        data="null" if body is None else None,
        json=body if body is not None else None,
        content_type="application/json",
    )
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (status, code), error
    assert error["message"]
    assert appointment_count() == 0


def test_invalid_body_names_each_field(api, office):
    response = api.post(
        "/api/v1/offices/testamt/holds?lang=en",
        json={"services": [{"id": 1, "quantity": -1}, {"id": "x"}], "colour": "blue"},
    )
    error = response.get_json()["error"]
    assert error["code"] == "invalid_body"
    assert set(error["fields"]) == {"start", "colour"}  # body fields first
    response = api.post(
        "/api/v1/offices/testamt/holds?lang=en",
        json={"services": [{"id": 1, "quantity": -1}, {"id": "x"}], "start": START},
    )
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"services[0].quantity", "services[1].id"}
    assert fields["services[1].id"] == "This field must be of type integer."


def test_malformed_json_and_wrong_media_type(api, office):
    response = api.post(
        "/api/v1/offices/testamt/holds", data="{services:", content_type="application/json"
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "malformed_json")
    response = api.post(
        "/api/v1/offices/testamt/holds", data="services=2:1", content_type="text/plain"
    )
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert appointment_count() == 0


def test_another_offices_service_cannot_be_booked_here(api, office):
    other = factories.create_office(slug="anderes-amt", name="Anderes Amt")
    db.session.commit()
    foreign = [{"id": other.services[0].id, "quantity": 1}]
    response = hold(api, office, services=foreign)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unknown_service"
    response = api.get(f"/api/v1/offices/testamt/days?services={other.services[0].id}")
    assert response.get_json()["error"]["code"] == "unknown_service"


def test_internal_service_cannot_be_booked(api, office):
    internal = factories.create_service(office, "Intern", 10, public=False)
    db.session.commit()
    response = hold(api, office, services=[{"id": internal.id}])
    assert response.get_json()["error"]["code"] == "unknown_service"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("services=abc", "bad_selection"),
        ("services=2:0", "bad_selection"),
        ("services=-2", "bad_selection"),
        ("services=2:-1", "bad_selection"),
        ("services=", "no_service"),
        ("", "no_service"),
        ("services=99999999999999999999999", "unknown_service"),
        ("services=2:99999999999999999999", "quantity"),
        ("services=1:1,1:1", "quantity"),  # the same service twice adds up, past its max of 1
        ("services=" + ",".join(str(i) for i in range(1, 40)), "bad_selection"),
    ],
)
def test_hostile_selection_query(api, office, query, code):
    response = api.get(f"/api/v1/offices/testamt/days?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("date", ["", "2026-13-01", "13.01.2026", "2026-01-13T10:00", "x" * 500])
def test_hostile_date_query(api, office, date):
    sid = _service_id(office)
    response = api.get(f"/api/v1/offices/testamt/times?services={sid}&date={date}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "bad_date"


@pytest.mark.parametrize(
    "token",
    ["x", "0", "A" * 32, "A" * 65, "ä" * 40, "' OR 1=1 --", "..%2F..%2Fetc", "1e9"],
)
def test_garbage_tokens_are_not_found(api, office, token):
    booked(api, office)
    for method, action in (("get", ""), ("post", "/confirm"), ("post", "/cancel")):
        response = getattr(api, method)(f"/api/v1/appointments/{token}{action}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] in {"not_found", "http_404"}


def test_confirm_checks_each_contact_field(api, office):
    token = hold(api, office).get_json()["token"]
    response = api.post(
        f"/api/v1/appointments/{token}/confirm?lang=en",
        json={"name": "   ", "email": "not-an-address", "phone": "<script>"},
    )
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (422, "invalid_body")
    assert set(error["fields"]) == {"name", "email", "phone"}
    response = api.post(
        f"/api/v1/appointments/{token}/confirm", json={"name": "A" * 201, "email": 5}
    )
    assert set(response.get_json()["error"]["fields"]) == {"email"}
    response = api.post(
        f"/api/v1/appointments/{token}/confirm", json={"name": "A" * 201, "email": "a@example.org"}
    )
    assert set(response.get_json()["error"]["fields"]) == {"name"}
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "held"


def test_confirm_twice_is_refused(api, office):
    token = booked(api, office)
    response = api.post(
        f"/api/v1/appointments/{token}/confirm", json={"name": "B", "email": "b@example.org"}
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "not_held")
    assert api.get(f"/api/v1/appointments/{token}").get_json()["contact"]["name"] == (
        "Erika Mustermann"
    )


def test_cancel_refuses_a_body_with_fields(api, office):
    token = booked(api, office)
    response = api.post(f"/api/v1/appointments/{token}/cancel", json={"reason": "x"})
    assert response.status_code == 422
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "confirmed"


def test_rebook_naive_start_is_refused(api, office):
    token = booked(api, office)
    response = api.post(f"/api/v1/appointments/{token}/rebook", json={"start": "2026-01-14 09:00"})
    assert response.get_json()["error"]["code"] == "bad_start"


def test_unknown_route_and_wrong_method_answer_json(api, app_ctx):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    response = api.get("/api/v1/offices/testamt/holds")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "http_405"


# -- languages -------------------------------------------------------------------------------


def test_error_messages_in_german_and_english(api, office):
    for _ in range(2):
        hold(api, office)
    german = hold(api, office, headers={"Accept-Language": "de-DE,de;q=0.9"}).get_json()
    english = hold(api, office, headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()
    by_query = api.post(
        "/api/v1/offices/testamt/holds?lang=en",
        json={"services": passport(office), "start": START},
        headers={"Accept-Language": "de"},
    ).get_json()
    assert german["error"]["code"] == english["error"]["code"] == "slot_taken"
    assert german["error"]["message"] == (
        "Diese Uhrzeit wurde gerade vergeben. Bitte wählen Sie eine andere."
    )
    assert english["error"]["message"] == (
        "This time has just been taken. Please choose another one."
    )
    assert by_query["error"]["message"] == english["error"]["message"]


def test_api_own_messages_in_german_and_english(api, office):
    german = api.get("/api/v1/appointments/nope", headers={"Accept-Language": "de"}).get_json()
    english = api.get("/api/v1/appointments/nope?lang=en").get_json()
    assert english["error"]["message"] == "There is no appointment with this link."
    assert german["error"]["message"] == _german("There is no appointment with this link.")
    assert german["error"]["message"] != english["error"]["message"]


def test_field_messages_in_german(api, office):
    response = api.post(
        "/api/v1/offices/testamt/holds?lang=de", json={"services": [{"id": "x"}], "start": 5}
    )
    error = response.get_json()["error"]
    assert error["message"] == _german("Some fields are missing or not valid. Please check them.")
    assert error["fields"]["start"] == _german("This field must be of type %(type)s.") % {
        "type": "string"
    }
    assert "Some fields" not in error["message"]


def _german(msgid: str) -> str:
    """What the German catalog says for an English msgid."""
    with flask_babel.force_locale("de"):
        return flask_babel.gettext(msgid)


# -- the OpenAPI document --------------------------------------------------------------------


def test_openapi_document_is_valid_openapi_3_1(api, app_ctx):
    document = api.client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate_openapi(document)


def test_every_api_route_is_documented_and_nothing_else(api, app_ctx):
    document = api.document
    routes = {
        (_openapi_path(rule.rule), method.lower())
        for rule in app_ctx.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_schema_in_the_document_is_used(api, app_ctx):
    text = str(api.document["paths"]) + str(api.document["components"])
    for name in api.document["components"]["schemas"]:
        assert f"#/components/schemas/{name}'" in text, name


def test_wrong_method_names_the_allowed_ones(api, office):
    response = api.client.delete("/api/v1/offices/testamt/holds")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert response.get_json()["error"]["code"] == "http_405"


# -- schemathesis: generated requests, valid and invalid, against every operation ------------

# Examples per operation; FUZZ_EXAMPLES=500 in the environment for a long run by hand.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ_SCHEMA = schemathesis.openapi.from_dict(openapi.document(DEFAULTS["LANGUAGES"]))
# Unknown query parameters are ignored, as web clients add their own (cache busters).
FUZZ_SCHEMA.config.generation.update(allow_extra_parameters=False, deterministic=True)


@pytest.fixture
def free_starts(app_ctx, office):
    """Free start times for one short service, earliest first, to hand out one per example
    (each day's times computed only when the previous day's are used up)."""
    now = current_now()
    selection = {office.services[2].id: 1}

    def starts():
        for day in availability.available_days(office, selection, now):
            yield from sorted(availability.available_starts(office, selection, day, now))

    return starts()


@FUZZ_SCHEMA.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_documented_answers_and_never_a_500(
    case, app_ctx, office, free_starts
):
    """No 500, every response as documented, and schema-violating requests refused. The
    generated slug and token are replaced by real ones, so that requests get past the lookup;
    a refusal of a schema-valid request (a taken time, an unknown service) is fine."""
    parameters = case.path_parameters or {}
    if "slug" in parameters:
        parameters["slug"] = office.slug
    if "token" in parameters:
        confirmed = case.path.endswith("rebook")
        parameters["token"] = _fresh_appointment(office, next(free_starts), confirmed)
    case.call_and_validate(app=app_ctx, excluded_checks=[positive_data_acceptance])


def _fresh_appointment(office, start, confirmed: bool) -> str:
    now = current_now()
    appointment = operations.hold(office, {office.services[2].id: 1}, start, now)
    if confirmed:
        email = f"{appointment.booking_code.lower()}@example.org"  # unique: no email cap
        operations.confirm(appointment, "Erika", email, "", now)
    db.session.commit()
    return appointment.manage_token


def test_nul_and_lone_surrogates_are_refused_without_a_crash(api, office):
    """PostgreSQL cannot store or even compare a NUL character; no database takes a lone
    surrogate. Both must end as a 400 or 422, never reach a query: in a URL the request is
    refused as a whole, in a body the field is named."""
    for url in ("/api/v1/offices/test%00amt/services", "/api/v1/appointments/abc%00def"):
        response = api.get(url)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_characters"
    booked(api, office)
    for method, action in (("get", ""), ("post", "/confirm"), ("post", "/cancel")):
        response = getattr(api, method)(f"/api/v1/appointments/%00{action}")
        assert response.status_code == 400
    token = hold(api, office).get_json()["token"]
    for name in ('"Erika\\u0000"', '"\\ud800Erika"'):
        response = api.post(
            f"/api/v1/appointments/{token}/confirm",
            data=f'{{"name": {name}, "email": "erika@example.org"}}',
            content_type="application/json",
        )
        assert response.status_code == 422
        assert set(response.get_json()["error"]["fields"]) == {"name"}
    response = api.post(
        f"/api/v1/appointments/{token}/confirm",
        data='{"name": "Erika", "email": "erika\\u0000@example.org"}',
        content_type="application/json",
    )
    assert set(response.get_json()["error"]["fields"]) == {"email"}


def test_operation_ids_are_unique_and_links_name_real_operations(api, app_ctx):
    operations_by_id = [
        operation["operationId"]
        for item in api.document["paths"].values()
        for operation in item.values()
    ]
    assert len(operations_by_id) == len(set(operations_by_id))
    hold_links = api.document["paths"]["/offices/{slug}/holds"]["post"]["responses"]["201"]
    assert {link["operationId"] for link in hold_links["links"].values()} <= set(operations_by_id)
