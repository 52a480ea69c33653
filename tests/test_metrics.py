"""terminvergabe/metrics.py: what is counted."""

from terminvergabe.counter import checkin, tickets
from terminvergabe.db import db
from terminvergabe.metrics import CALLS
from tests.counter.helpers import at, service


def _calls() -> float:
    return CALLS._value.get()


def test_calls_are_counted_when_they_commit(office):
    counter = office.counters[0]
    ticket = checkin.walk_in(office, service(office, "Personal").id, at(9))
    db.session.commit()
    before = _calls()

    tickets.call_next(counter, at(9))
    tickets.recall(ticket, counter, at(9, 2))
    assert _calls() == before  # not yet committed
    db.session.commit()
    assert _calls() == before + 2


def test_a_rolled_back_call_is_not_counted(office):
    counter = office.counters[0]
    checkin.walk_in(office, service(office, "Personal").id, at(9))
    db.session.commit()
    before = _calls()

    tickets.call_next(counter, at(9))
    db.session.rollback()
    db.session.commit()
    assert _calls() == before


def test_calls_appear_in_the_metrics(client, office):
    checkin.walk_in(office, service(office, "Personal").id, at(9))
    tickets.call_next(office.counters[0], at(9))
    db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    line = next(x for x in text.splitlines() if x.startswith("terminvergabe_calls_total "))
    assert float(line.split()[1]) >= 1
