"""The manage pages: the appointment page, cancel and rebook
(terminvergabe/citizen/pages/manage.py)."""

import datetime as dt

from terminvergabe.booking.models import AppointmentStatus
from terminvergabe.db import db
from tests.citizen.pages.helpers import (
    TUESDAY_10,
    appointment_by_token,
    book_via_pages,
    hold_via_pages,
    starts_on,
    text,
)


def test_manage_page_offers_calendar_and_qr_of_a_booking(client, office):
    token = book_via_pages(client, office)
    page = text(client.get(f"/a/{token}"))
    assert f"/a/{token}/calendar.ics" in page
    assert 'class="qr"' in page


def test_what_to_bring_is_shown_on_office_and_manage_page(client, office):
    passport = next(s for s in office.services if s.name == "Reisepass beantragen")
    passport.what_to_bring = "Biometrisches Passfoto, alter Reisepass"
    db.session.commit()
    assert "Biometrisches Passfoto" in text(client.get(f"/o/{office.slug}"))
    token = book_via_pages(client, office)
    manage = text(client.get(f"/a/{token}"))
    assert "Please bring" in manage
    assert "Biometrisches Passfoto, alter Reisepass" in manage
    # the details form of a booked appointment leads to the manage page
    assert client.get(f"/a/{token}/details").headers["Location"] == f"/a/{token}"


def test_cancel_asks_first_then_cancels(client, office):
    token = book_via_pages(client, office)
    confirm_page = client.get(f"/a/{token}/cancel")
    assert confirm_page.status_code == 200
    assert "Do you really want to cancel" in text(confirm_page)
    assert appointment_by_token(token).status == AppointmentStatus.CONFIRMED

    response = client.post(f"/a/{token}/cancel")
    assert response.status_code == 303
    assert appointment_by_token(token).status == AppointmentStatus.CANCELLED
    page = text(client.get(f"/a/{token}"))
    assert "Your appointment has been cancelled." in page
    assert f"/a/{token}/cancel" not in page
    # a second cancel is refused with a message
    again = client.post(f"/a/{token}/cancel")
    assert again.status_code == 409
    assert "already cancelled" in text(again)


def test_cancel_after_the_deadline_says_why_not(app, client, office, now):
    token = book_via_pages(client, office)
    app.config["FROZEN_NOW"] = TUESDAY_10 - dt.timedelta(hours=2)  # deadline: 24 h before
    page = text(client.get(f"/a/{token}"))
    assert "can no longer be cancelled or moved online" in page
    assert f'href="/a/{token}/cancel"' not in page
    response = client.post(f"/a/{token}/cancel")
    assert response.status_code == 409
    assert appointment_by_token(token).status == AppointmentStatus.CONFIRMED
    assert client.get(f"/a/{token}/rebook").status_code == 303


def test_rebook_moves_the_appointment_and_keeps_the_token(client, office):
    token = book_via_pages(client, office)
    days = text(client.get(f"/a/{token}/rebook"))
    assert f'href="/a/{token}/rebook/2026-01-14"' in days
    day = text(client.get(f"/a/{token}/rebook/2026-01-14"))
    starts = starts_on(day)
    assert starts
    new_start = dt.datetime.fromisoformat(starts[3])
    response = client.post(f"/a/{token}/rebook", data={"start": new_start.isoformat()})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/a/{token}"
    appointment = appointment_by_token(token)
    assert appointment.start_at == new_start
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert "moved to the new time" in text(client.get(f"/a/{token}"))


def test_rebook_to_a_taken_time_offers_alternatives_and_keeps_the_old_time(client, office):
    token = book_via_pages(client, office)
    taken = TUESDAY_10 + dt.timedelta(hours=1)
    hold_via_pages(client, office, start=taken)
    hold_via_pages(client, office, start=taken)
    response = client.post(f"/a/{token}/rebook", data={"start": taken.isoformat()})
    assert response.status_code == 409
    page = text(response)
    assert f'action="/a/{token}/rebook"' in page
    assert starts_on(page)
    assert appointment_by_token(token).start_at == TUESDAY_10
