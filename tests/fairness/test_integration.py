"""The defences on the real page and API routes: limits reached (429, Retry-After, translated
message), proof-of-work and the open-hold cap before a hold, the way to the waitlist."""

import datetime as dt

import pytest

from terminvergabe.db import db
from terminvergabe.fairness import altcha
from terminvergabe.fairness.models import FairnessSetting
from terminvergabe.limiter import limiter
from tests.fairness.test_altcha import cheap_pow, solve  # noqa: F401

BERLIN_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)


def service_id(office):
    return office.services[2].id  # Anmeldung einer Wohnung, 10 minutes


def hold_body(office, minutes=0, **extra):
    start = (BERLIN_10 + dt.timedelta(minutes=minutes)).isoformat()
    return {"services": [{"id": service_id(office), "quantity": 1}], "start": start, **extra}


def without_pow(office):
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=False, max_open_holds=3))
    db.session.commit()


def test_api_search_is_limited_and_reset(client, office):
    url = f"/api/v1/offices/{office.slug}/days?services={service_id(office)}:1"
    for _ in range(60):
        assert client.get(url).status_code == 200
    refused = client.get(url, headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    error = refused.get_json()["error"]
    assert error["code"] == "http_429" and "Too many requests" in error["message"]
    limiter.reset()
    assert client.get(url).status_code == 200


def test_api_holds_are_capped_per_client(client, office):
    without_pow(office)
    url = f"/api/v1/offices/{office.slug}/holds"
    for i in range(3):
        assert client.post(url, json=hold_body(office, 10 * i)).status_code == 201
    refused = client.post(url, json=hold_body(office, 30))
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_holds"
    other = client.post(url, json=hold_body(office, 30), environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 201


def test_api_hold_without_proof_of_work_meets_the_stricter_limit(client, office, cheap_pow):  # noqa: F811
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=True, max_open_holds=50))
    db.session.commit()
    url = f"/api/v1/offices/{office.slug}/holds"
    for i in range(4):  # FAIRNESS_LIMIT_HOLD_WITHOUT_POW: 4 per 10 minutes
        response = client.post(url, json=hold_body(office, 10 * i))
        assert response.status_code == 201, response.get_json()
    refused = client.post(url, json=hold_body(office, 40))
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    payload = solve(altcha.create_challenge())
    with_pow = client.post(url, json=hold_body(office, 40, altcha=payload))
    assert with_pow.status_code == 201, with_pow.get_json()
    replayed = client.post(url, json=hold_body(office, 50, altcha=payload))
    assert replayed.status_code == 400
    assert replayed.get_json()["error"]["code"] == "pow_replayed"
    forged = client.post(url, json=hold_body(office, 50, altcha="Zm9yZ2Vk"))
    assert forged.get_json()["error"]["code"] == "pow_invalid"


def test_api_strict_limit_counts_per_address(client, office):
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=True, max_open_holds=3))
    db.session.commit()
    url = f"/api/v1/offices/{office.slug}/holds"
    codes = []
    for i in range(5):
        codes.append(client.post(url, json=hold_body(office, 10 * i)).status_code)
    # 3 open holds reach the cap before the 4 holds without proof-of-work do
    assert codes[:3] == [201, 201, 201] and set(codes[3:]) == {429}


def test_api_booking_is_limited_per_email(client, office):
    without_pow(office)
    refused = None
    for i in range(6):
        ip = {"REMOTE_ADDR": f"198.51.100.{i}"}
        held = client.post(
            f"/api/v1/offices/{office.slug}/holds", json=hold_body(office, 10 * i), environ_base=ip
        )
        assert held.status_code == 201
        token = held.get_json()["token"]
        refused = client.post(
            f"/api/v1/appointments/{token}/confirm",
            json={"name": "Bot", "email": "same@example.org"},
            environ_base=ip,
        )
    assert refused.status_code == 429  # FAIRNESS_LIMIT_CONFIRM_EMAIL: 5 an hour
    assert int(refused.headers["Retry-After"]) > 0


def test_day_page_carries_the_proof_of_work(client, office):
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=True))
    db.session.commit()
    url = f"/o/{office.slug}/days/2026-01-13?s={service_id(office)}:1"
    page = client.get(url).get_data(as_text=True)
    assert "altcha/pow.js" in page
    # Every hold form carries the field that the script fills.
    assert page.count('name="altcha"') == page.count('action="/o/') == 1
    assert page.count('name="start"') > 1


def test_page_hold_without_javascript_works_until_the_stricter_limit(client, office):
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=True, max_open_holds=50))
    db.session.commit()
    office_slug, sid = office.slug, service_id(office)
    responses = []
    for i in range(5):
        start = (BERLIN_10 + dt.timedelta(minutes=10 * i)).isoformat()
        responses.append(
            client.post(
                f"/o/{office_slug}/hold?lang=en",
                data={"s": f"{sid}:1", "start": start, "altcha": ""},
            )
        )
    assert [r.status_code for r in responses] == [303, 303, 303, 303, 429]
    assert "Too many requests" in responses[-1].get_data(as_text=True)
    assert int(responses[-1].headers["Retry-After"]) > 0


def test_page_without_free_days_leads_to_the_waitlist(client, scarce_office):
    office, _booked = scarce_office
    sid = next(s.id for s in office.services if s.name == "Anmeldung einer Wohnung")
    page = client.get(f"/o/{office.slug}/days?s={sid}:1").get_data(as_text=True)
    assert f"/waitlist/{office.slug}?services={sid}:1" in page.replace("%3A", ":")


@pytest.fixture(autouse=True)
def _no_leftover_limits():
    yield
    limiter.reset()
