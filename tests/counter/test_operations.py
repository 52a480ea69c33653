import datetime as dt

import pytest

from terminvergabe.booking.models import AppointmentStatus
from terminvergabe.counter import operations as ops
from terminvergabe.counter.models import Call, LatePolicy, QueueSettings, TicketKind, TicketStatus
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from tests.counter.helpers import DAY, at, book, service

NAMES = ["Erika Mustermann", "Max Muster", "Ayşe Yılmaz", "Olena Koval", "Karim Haddad"]


@pytest.fixture
def booked(office, now):
    """Three appointments at 10:00, 10:20 and 10:40, booked at 09:00."""
    return [book(office, at(10, 20 * i), now, name=NAMES[i]) for i in range(3)]


def test_check_in_on_time_makes_an_appointment_ticket(office, booked):
    ticket = ops.check_in(office, booked[0], at(9, 50))
    assert ticket.kind == TicketKind.APPOINTMENT
    assert ticket.display_number == "A-001"
    assert ticket.due_at == booked[0].start_at
    assert ticket.day == DAY
    assert booked[0].status == AppointmentStatus.CHECKED_IN
    with pytest.raises(DomainError) as error:
        ops.check_in(office, booked[0], at(9, 51))
    assert error.value.code == "already_checked_in"


def test_check_in_too_early_is_refused(office, booked):
    with pytest.raises(DomainError) as error:
        ops.check_in(office, booked[0], at(9, 29))
    assert error.value.code == "too_early"
    assert booked[0].status == AppointmentStatus.CONFIRMED


def test_too_late_becomes_walk_in_or_is_refused_by_office_rule(office, booked):
    late = ops.check_in(office, booked[0], at(10, 16))
    assert late.kind == TicketKind.WALK_IN
    db.session.add(QueueSettings(office_id=office.id, late_policy=LatePolicy.REFUSE))
    db.session.flush()
    with pytest.raises(DomainError) as error:
        ops.check_in(office, booked[1], at(10, 36))
    assert error.value.code == "too_late"


def test_check_in_by_code_or_token_only_in_own_office(office, booked, now):
    from tests import factories

    assert ops.find_appointment(office, booked[0].booking_code.lower()) == booked[0]
    assert ops.find_appointment(office, booked[0].checkin_token) == booked[0]
    assert ops.find_appointment(office, "TV1:" + booked[0].checkin_token) == booked[0]
    assert ops.find_appointment(office, booked[0].manage_token) is None
    other = factories.create_office(slug="anderes-amt")
    with pytest.raises(DomainError) as error:
        ops.check_in(other, ops.find_appointment(other, booked[0].booking_code), at(10))
    assert error.value.code == "not_found"


def test_walk_in_numbers_count_per_prefix_and_day(office):
    passport = service(office, "Reisepass")
    passport.ticket_prefix = "B"
    first = ops.walk_in(office, service(office, "Personal").id, at(9))
    second = ops.walk_in(office, service(office, "Personal").id, at(9, 1))
    other = ops.walk_in(office, passport.id, at(9, 2))
    tomorrow = ops.walk_in(office, passport.id, at(9) + dt.timedelta(days=1))
    assert [t.display_number for t in (first, second, other, tomorrow)] == [
        "A-001",
        "A-002",
        "B-001",
        "B-001",
    ]


def test_walk_in_refuses_foreign_or_internal_service_at_kiosk(office):
    internal = service(office, "Anmeldung")
    internal.public = False
    with pytest.raises(DomainError):
        ops.walk_in(office, internal.id, at(9), public_only=True)
    assert ops.walk_in(office, internal.id, at(9)).status == TicketStatus.WAITING
    with pytest.raises(DomainError):
        ops.walk_in(office, 99999, at(9))


def test_call_next_serves_due_appointment_before_walk_in(office, booked):
    counter = office.counters[0]
    walk_in = ops.walk_in(office, service(office, "Personal").id, at(9, 40))
    ticket = ops.check_in(office, booked[0], at(9, 45))
    assert ops.call_next(counter, at(9, 50)) == walk_in  # appointment not due: gap filled
    ops.start(walk_in, counter, at(9, 51))
    ops.finish(walk_in, counter, at(9, 58))
    called = ops.call_next(counter, at(10))
    assert called == ticket
    assert booked[0].status == AppointmentStatus.CALLED
    assert ticket.counter_id == counter.id


def test_full_service_cycle_records_services(office, booked):
    counter = office.counters[0]
    ticket = ops.check_in(office, booked[0], at(10))
    ops.call_next(counter, at(10))
    ops.start(ticket, counter, at(10, 1))
    assert booked[0].status == AppointmentStatus.IN_SERVICE
    passport = service(office, "Reisepass")
    ops.finish(ticket, counter, at(10, 15), {passport.id: 2})
    assert ticket.status == TicketStatus.DONE
    assert booked[0].status == AppointmentStatus.DONE
    assert [(s.service_id, s.quantity) for s in ticket.services_done] == [(passport.id, 2)]


def test_recall_then_no_show_after_max_calls(office):
    counter = office.counters[0]
    ticket = ops.walk_in(office, service(office, "Personal").id, at(9))
    ops.call_next(counter, at(9))
    ops.recall(ticket, counter, at(9, 2))
    ops.recall(ticket, counter, at(9, 4))
    assert ticket.call_count == 3
    assert ticket.status == TicketStatus.CALLED
    ops.recall(ticket, counter, at(9, 6))
    assert ticket.status == TicketStatus.NO_SHOW
    assert db.session.query(Call).filter_by(ticket_id=ticket.id).count() == 3


def test_counter_gets_only_its_skills(office):
    first, second = office.counters
    passport = service(office, "Reisepass")
    first.skills = [passport]
    ops.walk_in(office, service(office, "Personal").id, at(9))
    with pytest.raises(DomainError) as error:
        ops.call_next(first, at(9, 1))
    assert error.value.code == "queue_empty"
    assert ops.call_next(second, at(9, 1)).service.name.startswith("Personal")


def test_one_ticket_at_a_time_per_counter(office):
    counter = office.counters[0]
    ops.walk_in(office, service(office, "Personal").id, at(9))
    ops.walk_in(office, service(office, "Personal").id, at(9))
    ops.call_next(counter, at(9, 1))
    with pytest.raises(DomainError) as error:
        ops.call_next(counter, at(9, 1))
    assert error.value.code == "counter_busy"


def test_park_and_requeue_keep_the_place_in_line(office):
    counter = office.counters[0]
    first = ops.walk_in(office, service(office, "Personal").id, at(9))
    second = ops.walk_in(office, service(office, "Personal").id, at(9, 5))
    ops.call_next(counter, at(9, 10))
    ops.park(first, counter, at(9, 11))
    assert first.status == TicketStatus.PARKED
    ops.requeue(first, at(9, 20))
    assert ops.call_next(counter, at(9, 21)) == first  # before `second`, who came later
    assert second.status == TicketStatus.WAITING


def test_transfer_to_counter_and_service(office, booked):
    first, second = office.counters
    ticket = ops.check_in(office, booked[0], at(10))
    ops.call_next(first, at(10))
    passport = service(office, "Reisepass")
    ops.transfer(ticket, first, at(10, 5), service_id=passport.id, target_counter_id=second.id)
    assert booked[0].status == AppointmentStatus.CHECKED_IN
    assert ticket.status == TicketStatus.WAITING and ticket.service_id == passport.id
    with pytest.raises(DomainError):
        ops.call_next(first, at(10, 6))
    assert ops.call_next(second, at(10, 6)) == ticket


def test_actions_on_someone_elses_ticket_are_refused(office):
    first, second = office.counters
    ticket = ops.walk_in(office, service(office, "Personal").id, at(9))
    ops.call_next(first, at(9))
    for action in (ops.recall, ops.no_show, ops.start, ops.park):
        with pytest.raises(DomainError):
            action(ticket, second, at(9, 1))


def test_events_are_published_only_after_commit(app_ctx, office):
    from terminvergabe.counter import events

    broker = events.broker()
    with broker.subscribe(office.id) as subscription:
        ops.walk_in(office, service(office, "Personal").id, at(9))
        db.session.flush()
        assert subscription.get(timeout=0.05) is None
        db.session.rollback()
        assert subscription.get(timeout=0.05) is None
        ops.walk_in(office, service(office, "Personal").id, at(9))
        db.session.commit()
        received = subscription.get(timeout=5)
        assert received["type"] == "ticket" and received["office"] == office.id
