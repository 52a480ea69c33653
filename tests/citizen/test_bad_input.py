"""Bad input of every kind, through the pages and the API: control characters anywhere, bodies
too large or too deep, the same field rules in forms and API, one form of every email address
(terminvergabe/request_guard.py, terminvergabe/fields.py). Each refusal changes nothing."""

import datetime as dt
import unicodedata

import pytest
import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.db import db
from terminvergabe.limiter import limiter
from tests import factories
from tests.citizen.pages.helpers import TUESDAY_10, hold_via_pages, text

START = "2026-01-13T10:00:00+01:00"


@pytest.fixture(autouse=True)
def no_bot_defences(app):
    """One client makes many holds here on purpose (the defences are tested in tests/fairness)."""
    saved = {
        key: app.config.get(key) for key in ("ALTCHA_REQUIRED_DEFAULT", "FAIRNESS_MAX_OPEN_HOLDS")
    }
    app.config.update({"ALTCHA_REQUIRED_DEFAULT": False, "FAIRNESS_MAX_OPEN_HOLDS": 1_000_000})
    enabled, limiter.enabled = limiter.enabled, False
    yield
    limiter.enabled = enabled
    app.config.update(saved)


def appointment_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Appointment))


def api_hold(client, office, start=START) -> str:
    service = office.services[2].id
    response = client.post(
        f"/api/v1/offices/{office.slug}/holds",
        json={"services": [{"id": service}], "start": start},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


# -- control characters, wherever they come ---------------------------------------------------

PATHS = [
    "/o/%00",
    "/o/testamt%01/days",
    "/t/%00",
    "/a/%00",
    "/waitlist/confirm/%00",
    "/waitlist/testamt%00",
    "/staff/login%00",
    "/o/testamt?s=%00",
    "/?lang=%1b",
    "/o/testamt?x%00=1",
]


@pytest.mark.parametrize("url", PATHS)
def test_control_characters_in_path_or_query_answer_400_on_a_page(client, office, url):
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "control characters" in text(response)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/offices/test%00amt/services",
        "/api/v1/appointments/abc%00def",
        "/api/v1/offices/testamt/days?services=%00",
        "/api/v1/offices?lang=%7f",
    ],
)
def test_control_characters_in_api_urls_answer_400_json(client, office, url):
    response = client.get(url, headers={"Accept-Language": "de"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_characters"
    assert "Steuerzeichen" in error["message"]


def test_a_control_character_in_a_header_answers_400(client, office):
    response = client.get("/o/testamt", headers={"X-Note": "a\x00b"})
    assert response.status_code == 400
    response = client.get("/o/testamt", headers={"X-Note": "a\tb"})  # a tab is allowed
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/staff/login", {"login": "admin\x00", "password": "x"}),
        ("/staff/login", {"login": "admin", "password": "\x00"}),
        ("/o/testamt/hold", {"s": "1\x00", "start": START}),
        ("/waitlist/testamt", {"services": "1", "name": "\x00", "email": "a@example.org"}),
    ],
)
def test_nul_in_a_form_field_answers_400_and_changes_nothing(client, office, url, data):
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert appointment_count() == 0


def test_nul_in_the_details_form_answers_400_and_keeps_the_hold(client, office):
    token, _ = hold_via_pages(client, office)
    response = client.post(
        f"/a/{token}/details", data={"name": "Erika\x00", "email": "erika@example.org"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    appointment = db.session.scalar(sa.select(Appointment).where(Appointment.manage_token == token))
    assert appointment.status == AppointmentStatus.HELD
    assert appointment.citizen_name == ""


@pytest.mark.parametrize("name", ["Erika\tMustermann", "Erika\nMustermann", "Erika\x85"])
def test_a_tab_or_line_break_in_a_one_line_field_is_refused_at_the_field(client, office, name):
    token, _ = hold_via_pages(client, office)
    response = client.post(
        f"/a/{token}/details?lang=en", data={"name": name, "email": "erika@example.org"}
    )
    assert response.status_code in (400, 422)  # C1 controls: 400 by the guard, 422 at the field
    if response.status_code == 422:
        assert "no tabs, line breaks or other control characters" in text(response)


def test_the_api_names_a_field_with_a_tab(client, office):
    token = api_hold(client, office)
    response = client.post(
        f"/api/v1/appointments/{token}/confirm",
        json={"name": "Erika\tM", "email": "erika@example.org"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"name"}


@pytest.mark.parametrize("field", ["start", "locale", "altcha"])
def test_nul_in_any_api_text_field_is_refused(client, office, field):
    body = {"services": [{"id": office.services[2].id}], "start": START, field: "x\x00"}
    response = client.post(f"/api/v1/offices/{office.slug}/holds", json=body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {field}
    assert appointment_count() == 0


# -- bodies too deep or too large -------------------------------------------------------------


def test_a_deeply_nested_body_answers_400(client, office):
    body = "[" * 2500 + "]" * 2500  # 5 kB
    response = client.post(
        f"/api/v1/offices/{office.slug}/holds", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "too_deep"
    nested = '{"services": [{"id": ' + "[" * 20 + "1" + "]" * 20 + "}]}"
    response = client.post(
        f"/api/v1/offices/{office.slug}/holds", data=nested, content_type="application/json"
    )
    assert response.get_json()["error"]["code"] == "too_deep"
    assert appointment_count() == 0


def test_brackets_inside_strings_do_not_count_as_nesting(client, office):
    token = api_hold(client, office)
    response = client.post(
        f"/api/v1/appointments/{token}/confirm",
        json={"name": "[" * 150 + '\\"{', "email": "erika@example.org"},
    )
    assert response.status_code == 200, response.get_json()


def test_a_deep_body_on_a_rate_limited_page_answers_400(client, office):
    """The per-email rate limit reads the body before the view does."""
    token, _ = hold_via_pages(client, office)
    response = client.post(f"/a/{token}/details", data="[" * 5000, content_type="application/json")
    assert response.status_code == 400


def test_a_body_over_the_limit_answers_413_unread(client, office, app):
    body = '{"services": [], "start": "' + "x" * (app.config["MAX_CONTENT_LENGTH"] + 1) + '"}'
    response = client.post(
        f"/api/v1/offices/{office.slug}/holds", data=body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "http_413"
    response = client.post(
        "/staff/login", data={"login": "a", "password": "x" * (11 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert appointment_count() == 0


# -- one email address, however it is spelt ---------------------------------------------------

SPELLINGS = [
    "x@xn--bcher-kva.example",
    "x@bücher.example",
    unicodedata.normalize("NFD", "x@bücher.example"),
    "X@BÜCHER.example",
]


def test_the_email_cap_holds_for_every_spelling_through_page_and_api(client, app_ctx):
    office = factories.create_office(max_active_per_email=3)
    db.session.commit()
    starts = [TUESDAY_10 + dt.timedelta(hours=h) for h in range(-2, 2)]
    for start, email in zip(starts[:2], SPELLINGS[:2], strict=True):  # the page
        token, _ = hold_via_pages(client, office, start=start)
        response = client.post(f"/a/{token}/details", data={"name": "X", "email": email})
        assert response.status_code == 303, text(response)
    token = api_hold(client, office, start=starts[2].isoformat())  # the API
    response = client.post(
        f"/api/v1/appointments/{token}/confirm", json={"name": "X", "email": SPELLINGS[2]}
    )
    assert response.status_code == 200, response.get_json()

    token, _ = hold_via_pages(client, office, start=starts[3])
    response = client.post(f"/a/{token}/details", data={"name": "X", "email": SPELLINGS[3]})
    assert response.status_code == 409
    response = client.post(
        f"/api/v1/appointments/{token}/confirm", json={"name": "X", "email": SPELLINGS[0]}
    )
    assert response.get_json()["error"]["code"] == "email_cap"
    stored = db.session.scalars(
        sa.select(Appointment.citizen_email).where(
            Appointment.status == AppointmentStatus.CONFIRMED
        )
    ).all()
    assert set(stored) == {"x@bücher.example"}


def test_page_and_api_refuse_the_same_fields_with_the_same_messages(client, office):
    cases = [
        {"name": "A" * 201, "email": "a@example.org"},
        {"name": "Erika", "email": "not-an-address"},
        {"name": "Erika", "email": "a@example.org", "phone": "call me"},
        {"name": "Erika", "email": "a@example.org", "phone": "1" * 51},
    ]
    for data in cases:
        token, _ = hold_via_pages(client, office)
        page = client.post(f"/a/{token}/details?lang=en", data=data)
        api = client.post(f"/api/v1/appointments/{token}/confirm?lang=en", json=data)
        assert (page.status_code, api.status_code) == (422, 422)
        ((field, message),) = api.get_json()["error"]["fields"].items()
        assert message in text(page), field
        client.post(f"/a/{token}/cancel")
