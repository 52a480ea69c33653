"""The waitlist's exclusivity under real concurrency: threads released together by a Barrier,
each with its own connection and transaction (run with TERMINVERGABE_TEST_DATABASE_URL set to
see it on PostgreSQL)."""

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import holds, offers, tasks, waitlist
from terminvergabe.fairness.models import FairnessSetting, HoldClient, OfferStatus, WaitlistOffer
from tests import factories
from tests.booking.test_concurrency import TUESDAY_10
from tests.fairness.conftest import anmeldung
from tests.fairness.test_waitlist import FIRST, LAST

pytestmark = pytest.mark.concurrency


def join_all(office, now, names):
    ids = []
    for i, name in enumerate(names):
        entry = waitlist.register(
            office, anmeldung(office), FIRST, LAST, name, f"{name}@example.org", "de", now
        )
        waitlist.confirm_entry(entry, now + dt.timedelta(seconds=i + 1))
        ids.append(entry.id)
    db.session.commit()
    return ids


def race(app, *actions):
    """Run each action in its own thread and transaction, all starting together."""
    db.session.commit()  # the test's own transaction must not hold a lock meanwhile
    barrier = threading.Barrier(len(actions))
    errors, results = [], [None] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                prepared = action[0]()  # load rows before the start signal
                db.session.commit()  # no transaction open while waiting (SQLite locks)
                barrier.wait(timeout=30)
                results[index] = action[1](prepared)
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (reported by the test)
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def all_offers():
    db.session.expire_all()
    return db.session.scalars(sa.select(WaitlistOffer).order_by(WaitlistOffer.id)).all()


def cancel_action(appointment_id, now):
    return (
        lambda: db.session.get(Appointment, appointment_id),
        lambda appointment: operations.cancel(appointment, now),
    )


def test_concurrent_cancellations_offer_each_time_to_a_different_citizen(app, scarce_office, now):
    office, booked = scarce_office
    entry_ids = join_all(office, now, ["ada", "ben", "cem"])
    booked_ids = [a.id for a in booked[:3]]
    _results, errors = race(app, *(cancel_action(i, now) for i in booked_ids))
    assert errors == []
    made = all_offers()
    assert sorted(o.entry_id for o in made) == entry_ids  # one each, nobody twice
    assert len({o.start_at for o in made}) == 3  # each time to one citizen only
    assert all(o.status == OfferStatus.OPEN for o in made)
    assert {o.start_at for o in made} == {a.start_at for a in booked[:3]}


def test_more_cancellations_than_citizens(app, scarce_office, now):
    office, booked = scarce_office
    entry_ids = join_all(office, now, ["ada", "ben"])
    _results, errors = race(app, *(cancel_action(a.id, now) for a in booked))
    assert errors == []
    made = all_offers()
    assert sorted(o.entry_id for o in made) == entry_ids
    assert len({o.start_at for o in made}) == 2
    # the two times nobody was offered are free for everyone
    free = set()
    for day in (FIRST, LAST):
        free |= set(availability.available_starts(office, anmeldung(office), day, now))
    assert len(free) == 2 and not free & {o.start_at for o in made}


def test_two_clicks_on_one_claim_link_book_once(app, scarce_office, now):
    office, booked = scarce_office
    join_all(office, now, ["ada"])
    operations.cancel(db.session.get(Appointment, booked[0].id), now)
    db.session.commit()
    (offer,) = all_offers()
    token = offer.token
    claim = (
        lambda: offers.find_offer(token),
        lambda found: offers.claim(found, "Ada", now).id,
    )
    results, errors = race(app, claim, claim)
    assert errors == []
    assert results[0] == results[1] == offer.appointment_id
    db.session.expire_all()
    appointment = db.session.get(Appointment, offer.appointment_id)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert db.session.get(WaitlistOffer, offer.id).status == OfferStatus.CLAIMED


def test_claim_racing_the_lapse_has_one_outcome(app, scarce_office, now):
    office, booked = scarce_office
    join_all(office, now, ["ada", "ben"])
    operations.cancel(db.session.get(Appointment, booked[0].id), now)
    db.session.commit()
    (offer,) = all_offers()
    just_before = offer.expires_at - dt.timedelta(seconds=30)
    just_after = offer.expires_at + dt.timedelta(seconds=30)
    token = offer.token
    claim = (
        lambda: offers.find_offer(token),
        lambda found: offers.claim(found, "Ada", just_before),
    )
    lapse = (lambda: None, lambda _none: tasks.run(just_after))
    _results, errors = race(app, claim, lapse)
    db.session.expire_all()
    appointment = db.session.get(Appointment, offer.appointment_id)
    first = db.session.get(WaitlistOffer, offer.id)
    to_ben = [o for o in all_offers() if o.id != offer.id and o.start_at == offer.start_at]
    if appointment.status == AppointmentStatus.CONFIRMED:
        assert errors == [] and first.status == OfferStatus.CLAIMED and to_ben == []
    else:
        # the lapse won: the claim was refused, the time went to the next citizen
        assert [e.code for e in errors] == ["offer_expired"] or errors == []
        assert appointment.status == AppointmentStatus.EXPIRED
        assert first.status == OfferStatus.LAPSED
        assert len(to_ben) == 1 and to_ben[0].status == OfferStatus.OPEN
    active = db.session.scalars(
        sa.select(Appointment).where(
            Appointment.start_at == offer.start_at,
            Appointment.status.in_(["held", "confirmed"]),
        )
    ).all()
    assert len(active) == 1


def test_a_bot_cannot_snatch_a_cancelled_time_from_the_waitlist(app, scarce_office, now):
    office, booked = scarce_office
    join_all(office, now, ["ada"])
    start, office_id, booked_id = booked[0].start_at, office.id, booked[0].id
    office_class = type(office)

    def snatch_time(_none):
        mine = db.session.get(office_class, office_id)
        return operations.hold(mine, anmeldung(mine), start, now)

    _results, errors = race(app, cancel_action(booked_id, now), (lambda: None, snatch_time))
    db.session.expire_all()
    active = db.session.scalars(
        sa.select(Appointment).where(
            Appointment.start_at == start, Appointment.status.in_(["held", "confirmed"])
        )
    ).all()
    assert len(active) == 1  # the waitlist's offer, or (if the bot came first) nothing freed
    assert len(errors) == 1 and getattr(errors[0], "code", None) == "slot_taken"


def _holds_at_once(app, office_id, addresses, now):
    """One hold per address, all released together, each in its own request and transaction;
    returns the outcome codes."""
    barrier = threading.Barrier(len(addresses))
    outcomes = []

    def client(i, address):
        with app.test_request_context("/", method="POST", environ_base={"REMOTE_ADDR": address}):
            try:
                barrier.wait(timeout=30)
                office = db.session.get(Office, office_id)
                start = TUESDAY_10 + dt.timedelta(minutes=10 * i)
                holds.hold_for_client(office, {office.services[2].id: 1}, start, now)
                db.session.commit()
                outcomes.append("ok")
            except DomainError as refused:
                db.session.rollback()
                outcomes.append(refused.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=client, args=a) for a in enumerate(addresses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_simultaneous_holds_of_one_client_count_each_other(app_ctx, now):
    """The cap on open holds is counted again under a lock after the time is claimed: holds
    that arrive together from one address cannot all pass the first count."""
    office = factories.create_office(counters=2)
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=False, max_open_holds=3))
    office_id = office.id
    db.session.commit()  # and no transaction left open (SQLite: the write lock)
    outcomes = _holds_at_once(app_ctx, office_id, ["192.0.2.9"] * 8, now)
    assert outcomes == ["ok"] * 3 + ["too_many_holds"] * 5
    recorded = db.session.scalar(sa.select(sa.func.count()).select_from(HoldClient))
    assert recorded == 3


def test_simultaneous_holds_of_different_clients_do_not_wait_for_each_other(app_ctx, now):
    office = factories.create_office(counters=2)
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=False, max_open_holds=1))
    office_id = office.id
    db.session.commit()  # and no transaction left open (SQLite: the write lock)
    outcomes = _holds_at_once(app_ctx, office_id, [f"192.0.2.{i}" for i in range(8)], now)
    assert outcomes == ["ok"] * 8
