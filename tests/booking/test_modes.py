"""Ways of holding an appointment (in person, by phone, by video): the modes a selection
allows (booking/availability.py), the choice stored by confirm (booking/operations.py), and the
front desk with phone and video appointments."""

import datetime as dt

import pytest
import sqlalchemy as sa

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Mode
from terminvergabe.counter import checkin
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from tests.auth.staff import create_staff_set, log_in
from tests.counter.helpers import at
from tests.modes_setup import ID_CARD, PASSPORT, REGISTRATION, VIDEO_URL, chosen, modes_office


@pytest.fixture
def office(app_ctx):
    return modes_office()


def held(office, now, *names, start_at=None):
    appointment = operations.hold(office, chosen(office, *names), start_at or at(10), now)
    db.session.commit()
    return appointment


def test_the_modes_are_those_every_chosen_offer_has(office):
    assert availability.modes_for(office, chosen(office, PASSPORT)) == [
        Mode.IN_PERSON,
        Mode.PHONE,
        Mode.VIDEO,
    ]
    assert availability.modes_for(office, chosen(office, ID_CARD, PASSPORT)) == [Mode.IN_PERSON]
    # in the order of the office's first offer (the passport), not of the second
    assert availability.modes_for(office, chosen(office, PASSPORT, REGISTRATION)) == [
        Mode.PHONE,
        Mode.VIDEO,
    ]
    assert availability.modes_for(office, chosen(office, REGISTRATION)) == [
        Mode.VIDEO,
        Mode.PHONE,
    ]


def test_a_selection_without_a_common_mode_cannot_be_booked(office, now):
    selection = chosen(office, ID_CARD, REGISTRATION)
    with pytest.raises(DomainError) as error:
        availability.validate_selection(office, selection)
    assert (error.value.code, error.value.status) == ("no_common_mode", 422)
    with pytest.raises(DomainError) as error:
        operations.hold(office, selection, at(10), now)
    assert error.value.code == "no_common_mode"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_a_hold_takes_the_first_possible_mode_and_confirm_keeps_it_by_default(office, now):
    appointment = held(office, now, REGISTRATION)
    assert appointment.mode == Mode.VIDEO
    assert availability.video_url(appointment) is None  # not booked yet: no link
    operations.confirm(appointment, "Erika Mustermann", "erika@example.org", "", now)
    assert (appointment.status, appointment.mode) == (AppointmentStatus.CONFIRMED, "video")
    assert availability.video_url(appointment) == VIDEO_URL


def test_confirm_stores_the_chosen_mode(office, now):
    appointment = held(office, now, PASSPORT)
    assert appointment.mode == Mode.IN_PERSON
    operations.confirm(appointment, "Erika", "erika@example.org", "0221 987654", now, mode="phone")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Appointment, appointment.id)
    assert (stored.mode, stored.citizen_phone) == ("phone", "0221 987654")
    assert availability.video_url(stored) is None


@pytest.mark.parametrize("mode", ["in_person", "teleport", ""])
def test_confirm_refuses_a_mode_the_offers_do_not_have(office, now, mode):
    appointment = held(office, now, PASSPORT, REGISTRATION)
    with pytest.raises(DomainError) as error:
        operations.confirm(appointment, "Erika", "erika@example.org", "0221 1", now, mode=mode)
    assert (error.value.code, error.value.status) == ("mode", 422)
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.HELD


def test_by_phone_the_office_needs_a_number(office, now):
    appointment = held(office, now, PASSPORT)
    with pytest.raises(DomainError) as error:
        operations.confirm(appointment, "Erika", "erika@example.org", "  ", now, mode="phone")
    assert (error.value.code, error.value.status) == ("phone_required", 422)
    assert appointment.status == AppointmentStatus.HELD
    operations.confirm(appointment, "Erika", "erika@example.org", "", now, mode="video")
    assert appointment.mode == "video"


def test_a_rebooking_keeps_the_mode(office, now):
    tuesday_10 = at(10) + dt.timedelta(days=1)
    appointment = held(office, now, PASSPORT, start_at=tuesday_10)
    operations.confirm(appointment, "Erika", "erika@example.org", "0221 1", now, mode="phone")
    operations.rebook(appointment, tuesday_10 + dt.timedelta(hours=1), now)
    assert appointment.mode == "phone"


def test_the_front_desk_lists_phone_and_video_appointments_and_can_check_them_in(
    app_ctx, office, now
):
    """Phone and video appointments are not expected at the desk: the list says how each one
    takes place (with the number to call), and nothing stops the desk from checking one in, e.g.
    when the citizen comes in person after all or the clerk counts the call in the queue."""
    by_phone = held(office, now, PASSPORT)
    operations.confirm(by_phone, "Erika Phone", "erika@example.org", "0221 555", now, mode="phone")
    by_video = held(office, now, REGISTRATION, start_at=at(10, 20))
    operations.confirm(by_video, "Max Video", "max@example.org", "", now)
    db.session.commit()
    client = app_ctx.test_client()
    client.set_cookie("lang", "en")
    log_in(client, create_staff_set(office)["front_desk"])
    page = client.get(f"/desk/{office.id}/").get_data(as_text=True)
    phone_row = page[page.index("Erika Phone") :].split("</tr>")[0]
    assert "by phone" in phone_row and 'href="tel:0221555"' in phone_row and "0221 555" in phone_row
    video_row = page[page.index("Max Video") :].split("</tr>")[0]
    assert "by video" in video_row and "by phone" not in video_row
    ticket = checkin.check_in(office, by_phone, at(9, 55))
    db.session.commit()
    assert by_phone.status == AppointmentStatus.CHECKED_IN
    assert ticket.appointment_id == by_phone.id
    assert client.get(f"/desk/{office.id}/state").status_code == 200
