"""The details page offers the ways the chosen offers share (a radio button each, or a text
when there is one); the manage page says how the appointment takes place."""

import re

import pytest

from tests.citizen.pages.helpers import TUESDAY_10, appointment_by_token, hold_via_pages, text
from tests.modes_setup import ID_CARD, PASSPORT, REGISTRATION, VIDEO_URL, modes_office


@pytest.fixture
def office(app_ctx):
    return modes_office()


def selection(office, *names) -> str:
    ids = {s.name: s.id for s in office.services}
    return ",".join(f"{ids[name]}:1" for name in names)


def details(client, office, *names):
    token, _ = hold_via_pages(client, office, start=TUESDAY_10, selection=selection(office, *names))
    return token, text(client.get(f"/a/{token}/details"))


def post_details(client, token, **fields):
    data = {"name": "Erika Mustermann", "email": "erika@example.org", "phone": "", **fields}
    return client.post(f"/a/{token}/details", data=data)


def test_several_modes_are_radio_buttons_none_preselected(client, office):
    _token, page = details(client, office, PASSPORT)
    assert page.count('type="radio" name="mode"') == 3
    assert "checked" not in page
    assert 'In person at <span lang="de">Markt 1, 50667 Köln</span>' in page
    assert "By phone: we call you at the number you give" in page
    assert "By video: you get a link" in page
    assert "Required if you choose an appointment by phone." in page


def test_one_mode_is_shown_as_text(client, office):
    _token, page = details(client, office, ID_CARD)
    assert 'type="radio"' not in page
    assert "How your appointment takes place" in page
    assert 'In person at <span lang="de">Markt 1' in page


def test_without_a_choice_the_page_asks_for_one(client, office):
    token, _ = details(client, office, PASSPORT)
    response = post_details(client, token)
    page = text(response)
    assert response.status_code == 422
    assert 'href="#mode"' in page
    assert "Please choose how your appointment should take place." in page
    assert appointment_by_token(token).status == "held"


def test_by_phone_without_a_number_the_phone_field_says_so(client, office):
    token, _ = details(client, office, PASSPORT)
    response = post_details(client, token, mode="phone")
    page = text(response)
    assert response.status_code == 422
    assert 'href="#phone"' in page
    assert "Please enter your phone number: the office will call you at this number." in page
    assert 'value="phone" checked' in page  # the choice is kept
    assert appointment_by_token(token).status == "held"


def test_a_phone_number_with_letters_is_refused_by_the_field_rule(client, office):
    token, _ = details(client, office, PASSPORT)
    response = post_details(client, token, mode="phone", phone="call me")
    assert response.status_code == 422
    assert "Please enter a phone number with digits only" in text(response)


def test_a_mode_not_offered_is_refused(client, office):
    token, _ = details(client, office, PASSPORT, REGISTRATION)
    response = post_details(client, token, mode="in_person", phone="0221 1")
    assert response.status_code == 422
    assert appointment_by_token(token).status == "held"


def test_booked_by_phone_the_manage_page_says_we_call(client, office):
    token, _ = details(client, office, PASSPORT)
    assert post_details(client, token, mode="phone", phone="0221 98765").status_code == 303
    page = text(client.get(f"/a/{token}"))
    assert '<bdi dir="ltr" class="phone-number">0221 98765</bdi>' in page
    page = re.sub(r"<[^>]+>", "", page)  # the words as read
    assert "By phone: we will call you at 0221 98765." in page
    assert "we will call you at 0221 98765. Please keep your phone at hand." in page
    assert "/qr.png" not in page and "Markt 1" not in page
    assert appointment_by_token(token).mode == "phone"


def test_booked_by_video_the_manage_page_gives_the_link(client, office):
    token, page = details(client, office, REGISTRATION)
    assert page.count('type="radio" name="mode"') == 2
    assert post_details(client, token, mode="video").status_code == 303
    page = text(client.get(f"/a/{token}"))
    assert f'href="{VIDEO_URL}"' in page
    assert "please open the video link below" in page


def test_booked_in_person_the_manage_page_is_as_before(client, office):
    token, _ = details(client, office, ID_CARD)
    assert post_details(client, token).status_code == 303
    page = text(client.get(f"/a/{token}"))
    assert "/qr.png" in page and "Markt 1" in page and "<dt>How</dt>" not in page


def test_a_selection_without_a_common_mode_is_refused_on_the_days_page(client, office):
    response = client.get(f"/o/{office.slug}/days?s={selection(office, ID_CARD, REGISTRATION)}")
    assert response.status_code == 422
    assert "Please book them separately." in text(response)
