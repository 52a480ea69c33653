"""Details and confirmation through the pages: the whole booking, every refusal of the details
(and that it changes nothing), an expired hold, the email opt-in
(terminvergabe/citizen/pages/confirmation.py)."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from terminvergabe.booking.models import AppointmentStatus, SlotClaim
from terminvergabe.db import db
from tests.citizen.pages.helpers import (
    TUESDAY,
    TUESDAY_10,
    appointment_by_token,
    book_via_pages,
    hold_via_pages,
    passports,
    starts_on,
    text,
)


def test_whole_booking(client, office):
    days = client.get(f"/o/{office.slug}/days?s={passports(office)}")
    assert days.status_code == 200
    day = text(client.get(f"/o/{office.slug}/days/{TUESDAY}?s={passports(office)}"))
    assert TUESDAY_10.isoformat() in starts_on(day)

    token, response = hold_via_pages(client, office)
    assert response.headers["Location"] == f"/a/{token}/details"
    appointment = appointment_by_token(token)
    assert appointment.status == AppointmentStatus.HELD

    details = text(client.get(f"/a/{token}/details?lang=de"))
    assert "09:10" in details  # held until NOW + 10 minutes, Berlin time
    assert "2 × Reisepass beantragen" in details

    confirm = client.post(
        f"/a/{token}/details",
        data={"name": " Erika Mustermann ", "email": "Erika@Example.org", "phone": "0221 123456"},
    )
    assert confirm.status_code == 303
    assert confirm.headers["Location"] == f"/a/{token}"
    appointment = appointment_by_token(token)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.citizen_name == "Erika Mustermann"
    assert appointment.citizen_phone == "0221 123456"

    manage = text(client.get(f"/a/{token}?lang=de"))
    code = appointment.booking_code
    assert f"{code[:4]}-{code[4:]}" in manage
    assert f"http://localhost/a/{token}" in manage
    assert "Markt 1" in manage and "50667 Köln" in manage
    assert "2 × Reisepass beantragen" in manage
    assert f"/a/{token}/cancel" in manage
    assert f"/a/{token}/rebook" in manage
    assert str(appointment.id) not in re.findall(r'href="([^"]+)"', manage)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "email": "a@example.org"}, "name", "Please enter your name."),
        ({"name": "   ", "email": "a@example.org"}, "name", "Please enter your name."),
        ({"name": "A" * 201, "email": "a@example.org"}, "name", "at most 200 characters"),
        ({"name": "Erika", "email": ""}, "email", "Please enter your email address."),
        ({"name": "Erika", "email": "not-an-address"}, "email", "name@example.org"),
        ({"name": "Erika", "email": "a@example.org", "phone": "call me"}, "phone", "digits only"),
    ],
)
def test_details_errors_are_shown_per_field_and_change_nothing(
    client, office, data, field, message
):
    token, _ = hold_via_pages(client, office)
    response = client.post(f"/a/{token}/details", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'class="error-summary"' in page
    assert f'<a href="#{field}">' in page  # the summary links to the field
    assert re.search(rf'<input[^>]*aria-describedby="[^"]*{field}-error"[^>]*>', page)
    assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="{field}"', page) or re.search(
        rf'<input[^>]*id="{field}"[^>]*aria-invalid="true"', page
    )
    appointment = appointment_by_token(token)
    assert appointment.status == AppointmentStatus.HELD
    assert appointment.citizen_name == ""


def test_email_cap_is_explained_and_changes_nothing(client, office):
    office.max_active_per_email = 1
    db.session.commit()
    book_via_pages(client, office)
    token, _ = hold_via_pages(client, office, start=TUESDAY_10 + dt.timedelta(hours=1))
    response = client.post(
        f"/a/{token}/details", data={"name": "Erika", "email": "erika@example.org"}
    )
    assert response.status_code == 409
    assert "already has 1 upcoming appointment," in text(response)
    assert appointment_by_token(token).status == AppointmentStatus.HELD


def test_expired_hold_says_start_again_and_frees_the_time(app, client, office, now):
    token, _ = hold_via_pages(client, office)
    app.config["FROZEN_NOW"] = now + dt.timedelta(minutes=11)
    for response in (
        client.get(f"/a/{token}/details"),
        client.post(f"/a/{token}/details", data={"name": "Erika", "email": "e@example.org"}),
    ):
        assert response.status_code == 410
        assert "Your reservation has expired" in text(response)
        assert f'href="/o/{office.slug}"' in text(response)
    assert appointment_by_token(token).status == AppointmentStatus.EXPIRED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlotClaim)) == 0


def test_double_opt_in(client, office):
    office.double_opt_in = True
    db.session.commit()
    token = book_via_pages(client, office)
    assert appointment_by_token(token).status == AppointmentStatus.PENDING
    page = text(client.get(f"/a/{token}"))
    assert "Please check your email" in page
    button = client.get(f"/a/{token}/confirm-email")
    assert button.status_code == 200
    assert appointment_by_token(token).status == AppointmentStatus.PENDING  # GET changes nothing
    response = client.post(f"/a/{token}/confirm-email")
    assert response.status_code == 303
    assert appointment_by_token(token).status == AppointmentStatus.CONFIRMED
    assert client.post(f"/a/{token}/confirm-email").status_code == 303  # twice is harmless


def test_unconfirmed_opt_in_expires(app, client, office, now):
    office.double_opt_in = True
    db.session.commit()
    token = book_via_pages(client, office)
    app.config["FROZEN_NOW"] = now + dt.timedelta(minutes=office.opt_in_minutes + 1)
    response = client.post(f"/a/{token}/confirm-email")
    assert response.status_code == 410
    assert appointment_by_token(token).status == AppointmentStatus.EXPIRED
