"""The ticket's lifecycle (terminvergabe/counter/lifecycle.py)."""

import pytest

from terminvergabe.counter import checkin, lifecycle
from terminvergabe.counter.lifecycle import TRANSITIONS, Verb
from terminvergabe.counter.models import TicketStatus
from terminvergabe.errors import DomainError
from tests.counter.helpers import at, service


def test_every_status_is_reached_and_the_ends_lead_nowhere():
    targets = {t.target for t in TRANSITIONS.values()} | {lifecycle.INITIAL}
    assert targets == set(TicketStatus)
    sources = set().union(*(t.sources for t in TRANSITIONS.values()))
    assert sources == set(TicketStatus) - {
        TicketStatus.DONE,
        TicketStatus.NO_SHOW,
        TicketStatus.CLOSED,
    }


def test_move_refuses_what_the_table_does_not_allow(office):
    ticket = checkin.walk_in(office, service(office, "Personal").id, at(9))
    assert ticket.status == TicketStatus.WAITING
    for verb in (Verb.START, Verb.FINISH, Verb.PARK, Verb.REQUEUE, Verb.NO_SHOW):
        with pytest.raises(DomainError) as refused:
            lifecycle.move(ticket, verb)
        assert refused.value.code == "ticket_state"
    assert ticket.status == TicketStatus.WAITING


def test_a_call_takes_only_a_waiting_ticket(office):
    ticket = checkin.walk_in(office, service(office, "Personal").id, at(9))
    counter = office.counters[0]
    assert lifecycle.take(ticket.id, counter_id=counter.id, called_at=at(9, 1))
    assert not lifecycle.take(ticket.id, counter_id=counter.id, called_at=at(9, 2))
