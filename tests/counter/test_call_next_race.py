"""Invariant 3: one ticket is called to at most one counter, even when clerks press
"call next" at the same moment. Real threads, real database (SQLite here, PostgreSQL when
TERMINVERGABE_TEST_DATABASE_URL says so).

On PostgreSQL the test also shows the race without the compare-and-set: with a naive UPDATE
(no `status = 'waiting'` condition) the same ticket is handed to several counters."""

import collections
import threading

import pytest
import sqlalchemy as sa

from terminvergabe.booking.models import Counter
from terminvergabe.counter import checkin, tickets
from terminvergabe.counter.models import Call, Ticket, TicketStatus
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from tests import factories
from tests.counter.helpers import at

COUNTERS = 12
TICKETS = 7

pytestmark = pytest.mark.concurrency


@pytest.fixture
def busy_office(app_ctx):
    office = factories.create_office(counters=COUNTERS)
    service = office.services[0]
    for minute in range(TICKETS):
        checkin.walk_in(office, service.id, at(9, minute))
    ids = office.id, [c.id for c in office.counters]
    db.session.commit()
    db.session.close()  # the test thread holds no transaction (SQLite: no lock) during the race
    return ids


def _race(app, counter_ids, read_barrier=None):
    """Every counter presses "call next" at once; returns {counter_id: ticket_id or None}."""
    start = threading.Barrier(len(counter_ids))
    results, errors = {}, []

    def clerk(counter_id):
        with app.app_context():
            try:
                counter = db.session.get(Counter, counter_id)
                skills = list(counter.skills)  # loaded before the race starts
                assert skills
                db.session.rollback()  # hold no transaction (SQLite: no write lock) while waiting
                start.wait(timeout=10)
                ticket = tickets.call_next(counter, at(9, 30))
                db.session.commit()
                results[counter_id] = ticket.id
            except DomainError as error:
                db.session.rollback()
                results[counter_id] = None if error.code == "queue_empty" else error.code
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk, args=(cid,)) for cid in counter_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def _calls_per_ticket():
    rows = db.session.execute(sa.select(Call.ticket_id, Call.counter_id)).all()
    per_ticket = collections.defaultdict(set)
    for ticket_id, counter_id in rows:
        per_ticket[ticket_id].add(counter_id)
    return per_ticket


def _pause_after_reading(monkeypatch, barrier):
    original = tickets.counter_order

    def order_then_wait(counter, now):
        result = original(counter, now)
        barrier.wait(timeout=10)  # everyone has chosen a candidate before anyone takes one
        return result

    monkeypatch.setattr(tickets, "counter_order", order_then_wait)


def _on_postgresql():
    return db.engine.dialect.name == "postgresql"


def test_simultaneous_call_next_never_calls_a_ticket_twice(app, busy_office, monkeypatch):
    office_id, counter_ids = busy_office
    if _on_postgresql():
        _pause_after_reading(monkeypatch, threading.Barrier(len(counter_ids)))
    results = _race(app, counter_ids)
    called = [t for t in results.values() if t is not None]
    assert len(called) == TICKETS  # every waiting ticket went to exactly one counter
    assert len(set(called)) == TICKETS
    assert list(results.values()).count(None) == COUNTERS - TICKETS
    per_ticket = _calls_per_ticket()
    assert all(len(counters) == 1 for counters in per_ticket.values())
    statuses = db.session.scalars(sa.select(Ticket.status)).all()
    assert statuses == [TicketStatus.CALLED] * TICKETS


def test_without_compare_and_set_the_race_happens(app, busy_office, monkeypatch):
    """The control experiment: the same race with a naive UPDATE gives one ticket to several
    counters. Only PostgreSQL runs transactions in parallel; SQLite serialises them."""
    if not _on_postgresql():
        pytest.skip("SQLite runs one write transaction at a time")
    office_id, counter_ids = busy_office
    _pause_after_reading(monkeypatch, threading.Barrier(len(counter_ids)))

    def naive_take(ticket_id, counter, staff, now):
        db.session.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(status=TicketStatus.CALLED.value, counter_id=counter.id, called_at=now)
            .execution_options(synchronize_session=False)
        )
        return True

    monkeypatch.setattr(tickets, "_take", naive_take)
    results = _race(app, counter_ids)
    called = [t for t in results.values() if t is not None]
    assert len(called) > len(set(called))  # the same ticket went to several counters
    per_ticket = _calls_per_ticket()
    assert any(len(counters) > 1 for counters in per_ticket.values())
