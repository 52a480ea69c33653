"""The API and the ways of holding an appointment: a hold says which modes are possible, the
confirm request chooses one (or gets the first), the appointment says its mode and, by video
once booked, the link. Every response is checked against the OpenAPI document."""

import pytest

from tests.citizen.test_api import START, Api, hold, no_bot_defences  # noqa: F401
from tests.modes_setup import ID_CARD, PASSPORT, REGISTRATION, VIDEO_URL, modes_office

CONTACT = {"name": "Erika Mustermann", "email": "erika@example.org"}


@pytest.fixture
def office(app_ctx):
    return modes_office()


@pytest.fixture
def api(app_ctx, client):
    return Api(app_ctx, client)


def services(office, *names):
    ids = {s.name: s.id for s in office.services}
    return [{"id": ids[name], "quantity": 1} for name in names]


def held_token(api, office, *names) -> str:
    response = hold(api, office, services=services(office, *names))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def confirm(api, token, **body):
    return api.post(f"/api/v1/appointments/{token}/confirm?lang=en", json={**CONTACT, **body})


def test_a_hold_lists_the_possible_modes_the_default_first(api, office):
    token = held_token(api, office, PASSPORT, REGISTRATION)
    held = api.get(f"/api/v1/appointments/{token}").get_json()
    assert (held["mode"], held["modes"], held["video_url"]) == ("phone", ["phone", "video"], None)


def test_confirm_without_mode_takes_the_first(api, office):
    token = held_token(api, office, PASSPORT)
    booked = confirm(api, token).get_json()
    assert (booked["status"], booked["mode"], booked["video_url"]) == (
        "confirmed",
        "in_person",
        None,
    )


def test_confirm_by_video_gives_the_link(api, office):
    token = held_token(api, office, PASSPORT)
    booked = confirm(api, token, mode="video").get_json()
    assert (booked["mode"], booked["video_url"]) == ("video", VIDEO_URL)
    assert api.get(f"/api/v1/appointments/{token}").get_json()["video_url"] == VIDEO_URL


def test_confirm_by_phone_needs_the_number(api, office):
    token = held_token(api, office, PASSPORT)
    response = confirm(api, token, mode="phone")
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (422, "phone_required")
    assert "phone number" in error["message"]
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "held"
    booked = confirm(api, token, mode="phone", phone="0221 98765").get_json()
    assert (booked["mode"], booked["contact"]["phone"]) == ("phone", "0221 98765")


def test_a_mode_the_offers_do_not_have_is_refused(api, office):
    token = held_token(api, office, PASSPORT, REGISTRATION)
    response = confirm(api, token, mode="in_person")
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "mode")
    assert api.get(f"/api/v1/appointments/{token}").get_json()["status"] == "held"


@pytest.mark.parametrize("mode", ["teleport", 1, ["video"], "VIDEO"])
def test_a_mode_that_is_none_is_refused_as_a_field(api, office, mode):
    token = held_token(api, office, PASSPORT)
    response = confirm(api, token, mode=mode)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"], list(error["fields"])) == (
        422,
        "invalid_body",
        ["mode"],
    )


def test_a_selection_without_a_common_mode_cannot_be_held(api, office):
    response = hold(api, office, services=services(office, ID_CARD, REGISTRATION))
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (422, "no_common_mode")
    assert (
        "separately"
        in hold(
            api,
            office,
            services=services(office, ID_CARD, REGISTRATION),
            headers={"Accept-Language": "en"},
        ).get_json()["error"]["message"]
    )


def test_the_openapi_document_names_the_modes(api):
    schemas = api.document["components"]["schemas"]
    confirm_mode = schemas["ConfirmRequest"]["properties"]["mode"]
    assert confirm_mode["enum"] == ["in_person", "phone", "video"]
    appointment = schemas["Appointment"]
    assert {"mode", "modes", "video_url"} <= set(appointment["required"])
