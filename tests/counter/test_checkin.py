"""Check-in and walk-in (terminvergabe/counter/checkin.py)."""

import datetime as dt

import pytest

from terminvergabe.booking.models import AppointmentStatus
from terminvergabe.counter import checkin
from terminvergabe.counter.models import LatePolicy, QueueSettings, TicketKind, TicketStatus
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from tests.counter.helpers import DAY, at, service


def test_check_in_on_time_makes_an_appointment_ticket(office, booked):
    ticket = checkin.check_in(office, booked[0], at(9, 50))
    assert ticket.kind == TicketKind.APPOINTMENT
    assert ticket.display_number == "A-001"
    assert ticket.due_at == booked[0].start_at
    assert ticket.day == DAY
    assert booked[0].status == AppointmentStatus.CHECKED_IN
    with pytest.raises(DomainError) as error:
        checkin.check_in(office, booked[0], at(9, 51))
    assert error.value.code == "already_checked_in"


def test_check_in_too_early_is_refused(office, booked):
    with pytest.raises(DomainError) as error:
        checkin.check_in(office, booked[0], at(9, 29))
    assert error.value.code == "too_early"
    assert booked[0].status == AppointmentStatus.CONFIRMED


def test_too_late_becomes_walk_in_or_is_refused_by_office_rule(office, booked):
    late = checkin.check_in(office, booked[0], at(10, 16))
    assert late.kind == TicketKind.WALK_IN
    db.session.add(QueueSettings(office_id=office.id, late_policy=LatePolicy.REFUSE))
    db.session.flush()
    with pytest.raises(DomainError) as error:
        checkin.check_in(office, booked[1], at(10, 36))
    assert error.value.code == "too_late"


def test_check_in_by_code_or_token_only_in_own_office(office, booked, now):
    from tests import factories

    assert checkin.find_appointment(office, booked[0].booking_code.lower()) == booked[0]
    assert checkin.find_appointment(office, booked[0].checkin_token) == booked[0]
    assert checkin.find_appointment(office, "TV1:" + booked[0].checkin_token) == booked[0]
    assert checkin.find_appointment(office, booked[0].manage_token) is None
    other = factories.create_office(slug="anderes-amt")
    with pytest.raises(DomainError) as error:
        checkin.check_in(other, checkin.find_appointment(other, booked[0].booking_code), at(10))
    assert error.value.code == "not_found"


def test_walk_in_numbers_count_per_prefix_and_day(office):
    passport = service(office, "Reisepass")
    office.offer_of(passport.id).ticket_prefix = "B"
    first = checkin.walk_in(office, service(office, "Personal").id, at(9))
    second = checkin.walk_in(office, service(office, "Personal").id, at(9, 1))
    other = checkin.walk_in(office, passport.id, at(9, 2))
    tomorrow = checkin.walk_in(office, passport.id, at(9) + dt.timedelta(days=1))
    assert [t.display_number for t in (first, second, other, tomorrow)] == [
        "A-001",
        "A-002",
        "B-001",
        "B-001",
    ]


def test_walk_in_refuses_foreign_or_internal_service_at_kiosk(office):
    internal = service(office, "Anmeldung")
    office.offer_of(internal.id).public = False
    with pytest.raises(DomainError):
        checkin.walk_in(office, internal.id, at(9), public_only=True)
    assert checkin.walk_in(office, internal.id, at(9)).status == TicketStatus.WAITING
    with pytest.raises(DomainError):
        checkin.walk_in(office, 99999, at(9))
