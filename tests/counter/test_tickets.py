"""The clerk's verbs on tickets (terminvergabe/counter/tickets.py)."""

import pytest

from terminvergabe.booking.models import AppointmentStatus
from terminvergabe.counter import checkin, tickets
from terminvergabe.counter.models import Call, TicketStatus
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from tests.counter.helpers import at, service


def test_call_next_serves_due_appointment_before_walk_in(office, booked):
    counter = office.counters[0]
    walk_in = checkin.walk_in(office, service(office, "Personal").id, at(9, 40))
    ticket = checkin.check_in(office, booked[0], at(9, 45))
    assert tickets.call_next(counter, at(9, 50)) == walk_in  # appointment not due: gap filled
    tickets.start(walk_in, counter, at(9, 51))
    tickets.finish(walk_in, counter, at(9, 58))
    called = tickets.call_next(counter, at(10))
    assert called == ticket
    assert booked[0].status == AppointmentStatus.CALLED
    assert ticket.counter_id == counter.id


def test_full_service_cycle_records_services(office, booked):
    counter = office.counters[0]
    ticket = checkin.check_in(office, booked[0], at(10))
    tickets.call_next(counter, at(10))
    tickets.start(ticket, counter, at(10, 1))
    assert booked[0].status == AppointmentStatus.IN_SERVICE
    passport = service(office, "Reisepass")
    tickets.finish(ticket, counter, at(10, 15), {passport.id: 2})
    assert ticket.status == TicketStatus.DONE
    assert booked[0].status == AppointmentStatus.DONE
    assert [(s.service_id, s.quantity) for s in ticket.services_done] == [(passport.id, 2)]


def test_recall_then_no_show_after_max_calls(office):
    counter = office.counters[0]
    ticket = checkin.walk_in(office, service(office, "Personal").id, at(9))
    tickets.call_next(counter, at(9))
    tickets.recall(ticket, counter, at(9, 2))
    tickets.recall(ticket, counter, at(9, 4))
    assert ticket.call_count == 3
    assert ticket.status == TicketStatus.CALLED
    tickets.recall(ticket, counter, at(9, 6))
    assert ticket.status == TicketStatus.NO_SHOW
    assert db.session.query(Call).filter_by(ticket_id=ticket.id).count() == 3


def test_counter_gets_only_its_skills(office):
    first, second = office.counters
    passport = service(office, "Reisepass")
    first.skills = [passport]
    checkin.walk_in(office, service(office, "Personal").id, at(9))
    with pytest.raises(DomainError) as error:
        tickets.call_next(first, at(9, 1))
    assert error.value.code == "queue_empty"
    assert tickets.call_next(second, at(9, 1)).service.name.startswith("Personal")


def test_one_ticket_at_a_time_per_counter(office):
    counter = office.counters[0]
    checkin.walk_in(office, service(office, "Personal").id, at(9))
    checkin.walk_in(office, service(office, "Personal").id, at(9))
    tickets.call_next(counter, at(9, 1))
    with pytest.raises(DomainError) as error:
        tickets.call_next(counter, at(9, 1))
    assert error.value.code == "counter_busy"


def test_park_and_requeue_keep_the_place_in_line(office):
    counter = office.counters[0]
    first = checkin.walk_in(office, service(office, "Personal").id, at(9))
    second = checkin.walk_in(office, service(office, "Personal").id, at(9, 5))
    tickets.call_next(counter, at(9, 10))
    tickets.park(first, counter, at(9, 11))
    assert first.status == TicketStatus.PARKED
    tickets.requeue(first, at(9, 20))
    assert tickets.call_next(counter, at(9, 21)) == first  # before `second`, who came later
    assert second.status == TicketStatus.WAITING


def test_transfer_to_counter_and_service(office, booked):
    first, second = office.counters
    ticket = checkin.check_in(office, booked[0], at(10))
    tickets.call_next(first, at(10))
    passport = service(office, "Reisepass")
    tickets.transfer(ticket, first, at(10, 5), service_id=passport.id, target_counter_id=second.id)
    assert booked[0].status == AppointmentStatus.CHECKED_IN
    assert ticket.status == TicketStatus.WAITING and ticket.service_id == passport.id
    with pytest.raises(DomainError):
        tickets.call_next(first, at(10, 6))
    assert tickets.call_next(second, at(10, 6)) == ticket


def test_actions_on_someone_elses_ticket_are_refused(office):
    first, second = office.counters
    ticket = checkin.walk_in(office, service(office, "Personal").id, at(9))
    tickets.call_next(first, at(9))
    for action in (tickets.recall, tickets.no_show, tickets.start, tickets.park):
        with pytest.raises(DomainError):
            action(ticket, second, at(9, 1))


def test_events_are_published_only_after_commit(app_ctx, office):
    from terminvergabe import events

    broker = events.broker()
    with broker.subscribe(office.id) as subscription:
        checkin.walk_in(office, service(office, "Personal").id, at(9))
        db.session.flush()
        assert subscription.get(timeout=0.05) is None
        db.session.rollback()
        assert subscription.get(timeout=0.05) is None
        checkin.walk_in(office, service(office, "Personal").id, at(9))
        db.session.commit()
        received = subscription.get(timeout=5)
        assert received["type"] == "ticket" and received["office"] == office.id
