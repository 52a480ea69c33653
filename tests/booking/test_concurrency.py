"""Invariant 1 (capacity is never exceeded) and the per-email cap under real concurrency.

Each client is a thread with its own app context, hence its own session and database
connection; all start together on a barrier. The same tests run on SQLite (the fixture's file
database) and on PostgreSQL (TERMINVERGABE_TEST_DATABASE_URL).

The companion tests at the end replace a guarantee by an application-level "check, then
insert" with an explicit window between check and insert, and show that then more than one
client wins: the race is real, and the database guarantee is what stops it.
"""

import datetime as dt
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from terminvergabe.booking import claims, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office, SlotClaim
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from tests import factories

pytestmark = pytest.mark.concurrency

CLIENTS = 50
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin
THREAD_TIMEOUT = 120


def race(app, clients, action):
    """Run action(i) in `clients` threads that start together; each commits on success.

    Returns one outcome per client: ("ok", value), (error code, details) for a DomainError,
    or ("crash", repr) for anything else (e.g. "database is locked")."""
    barrier = threading.Barrier(clients)
    outcomes = [None] * clients

    def client(i):
        # No database work before the barrier: on SQLite a started transaction holds the
        # write lock, and the other clients could not reach the barrier.
        with app.app_context():
            try:
                barrier.wait()
                value = action(i)
                db.session.commit()
                outcomes[i] = ("ok", value)
            except DomainError as refused:
                db.session.rollback()
                outcomes[i] = (refused.code, refused.details)
            except Exception as crash:  # noqa: BLE001  (reported, then asserted on)
                db.session.rollback()
                outcomes[i] = ("crash", repr(crash))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    return outcomes


def codes(outcomes):
    return sorted(code for code, _value in outcomes)


def _service_id(office_id, name):
    office = db.session.get(Office, office_id)
    return next(s.id for s in office.services if s.name == name)


@pytest.fixture
def single_counter(app_ctx):
    """An office with one counter; returns (office id, selection). Nothing stays open."""
    office = factories.create_office(counters=1, max_active_per_email=2)
    db.session.commit()
    office_id = office.id
    selection = {_service_id(office_id, "Personalausweis beantragen"): 1}
    db.session.commit()  # end the read transaction (SQLite: release the write lock)
    return office_id, selection


def _hold(app, office_id, selection, start_at, now):
    office = db.session.get(Office, office_id)
    return operations.hold(office, selection, start_at, now).id


def _claims_at(start_at):
    return db.session.scalars(sa.select(SlotClaim).where(SlotClaim.start_at == start_at)).all()


# -- the guarantees --------------------------------------------------------------------------


def test_fifty_clients_holding_one_time_on_one_counter_exactly_one_wins(
    app_ctx, single_counter, now
):
    office_id, selection = single_counter
    outcomes = race(
        app_ctx, CLIENTS, lambda i: _hold(app_ctx, office_id, selection, TUESDAY_10, now)
    )
    assert codes(outcomes) == ["ok"] + ["slot_taken"] * (CLIENTS - 1), outcomes
    for code, details in outcomes:
        if code == "slot_taken":
            assert details["alternatives"], "a refused client gets the nearest free times"
            assert TUESDAY_10.isoformat() not in details["alternatives"]
    claims = _claims_at(TUESDAY_10)
    assert len(claims) == 1
    winner = next(value for code, value in outcomes if code == "ok")
    assert claims[0].appointment_id == winner
    held = db.session.scalar(
        sa.select(sa.func.count()).where(Appointment.status == AppointmentStatus.HELD)
    )
    assert held == 1, "losers leave no appointment behind"


def test_fifty_clients_racing_for_a_time_whose_hold_lapsed_exactly_one_wins(
    app_ctx, single_counter, now
):
    """Invariant 2 under concurrency: the lapsed hold's claims are deleted by whoever claims
    the time next, with no job in between; the deletion races too, and still one client wins."""
    office_id, selection = single_counter
    lapsed = _hold(app_ctx, office_id, selection, TUESDAY_10, now)
    db.session.commit()
    later = now + dt.timedelta(minutes=11)  # the office holds for ten minutes
    outcomes = race(
        app_ctx, CLIENTS, lambda i: _hold(app_ctx, office_id, selection, TUESDAY_10, later)
    )
    assert codes(outcomes) == ["ok"] + ["slot_taken"] * (CLIENTS - 1), outcomes
    claims = _claims_at(TUESDAY_10)
    assert len(claims) == 1 and claims[0].appointment_id != lapsed


def _confirmed_appointment(office_id, selection, start_at, now, email="owner@example.org"):
    office = db.session.get(Office, office_id)
    appointment = operations.hold(office, selection, start_at, now)
    operations.confirm(appointment, "Erika Mustermann", email, "", now)
    db.session.commit()
    appointment_id = appointment.id
    db.session.commit()
    return appointment_id


def test_rebook_racing_with_holds_for_the_same_time_one_wins(app_ctx, single_counter, now):
    """The owner of a booking at 10:00 moves it to 11:00 while 29 others try to hold 11:00."""
    office_id, selection = single_counter
    appointment_id = _confirmed_appointment(office_id, selection, TUESDAY_10, now)
    eleven = TUESDAY_10 + dt.timedelta(hours=1)
    clients = 30

    def action(i):
        if i == clients // 2:
            appointment = db.session.get(Appointment, appointment_id)
            operations.rebook(appointment, eleven, now)
            return "rebooked"
        return _hold(app_ctx, office_id, selection, eleven, now)

    outcomes = race(app_ctx, clients, action)
    assert codes(outcomes) == ["ok"] + ["slot_taken"] * (clients - 1), outcomes
    claims = _claims_at(eleven)
    assert len(claims) == 1
    rebooked = ("ok", "rebooked") in outcomes
    old_claims = _claims_at(TUESDAY_10)
    if rebooked:
        assert claims[0].appointment_id == appointment_id
        assert old_claims == [], "the old time is released with the move"
    else:
        assert [c.appointment_id for c in old_claims] == [appointment_id]
        assert db.session.get(Appointment, appointment_id).start_at == TUESDAY_10


def _held_appointments(office_id, selection, count, now):
    office = db.session.get(Office, office_id)
    ids = [
        operations.hold(office, selection, TUESDAY_10 + dt.timedelta(minutes=20 * k), now).id
        for k in range(count)
    ]
    db.session.commit()
    return ids


def test_confirmations_for_one_email_racing_the_cap_keep_the_cap(app_ctx, single_counter, now):
    """The office allows two upcoming appointments per email; six holds confirm at once."""
    office_id, selection = single_counter
    held = _held_appointments(office_id, selection, 6, now)

    def action(i):
        appointment = db.session.get(Appointment, held[i])
        operations.confirm(appointment, "Max Muster", "max@example.org", "", now)
        return held[i]

    outcomes = race(app_ctx, len(held), action)
    assert codes(outcomes) == ["email_cap"] * 4 + ["ok"] * 2, outcomes
    confirmed = db.session.scalar(
        sa.select(sa.func.count()).where(
            Appointment.citizen_email == "max@example.org",
            Appointment.status == AppointmentStatus.CONFIRMED,
        )
    )
    assert confirmed == 2


# -- companions: without the guarantee the race shows ----------------------------------------


@pytest.fixture
def postgresql_only(app_ctx):
    """On SQLite every transaction starts with BEGIN IMMEDIATE and so holds the single write
    lock from its first statement to its commit: two holds never overlap, and a window between
    check and insert cannot open (a client in it blocks all others). The companions need a
    database where transactions really run side by side."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises all transactions; the window cannot open there")


UNGUARDED = sa.Table(
    "slot_claim_unguarded",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("counter_id", sa.Integer, nullable=False),
    sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("appointment_id", sa.Integer),
    # deliberately no unique constraint on (counter_id, start_at)
)


@contextmanager
def unguarded_claims_table():
    UNGUARDED.create(db.engine, checkfirst=True)
    try:
        yield
    finally:
        UNGUARDED.drop(db.engine, checkfirst=True)


def test_without_the_unique_constraint_several_clients_win(
    app_ctx, single_counter, now, postgresql_only, monkeypatch
):
    """The same race as above, with the claim step replaced by "check, then insert" on a copy
    of the claim table without the unique constraint, and a barrier between check and insert."""
    office_id, selection = single_counter
    clients = 10
    window = threading.Barrier(clients)

    def check_then_insert(appointment, counter_id, now, expires_at, new=False):
        units = claims.units_of(appointment.start_at, appointment.end_at)
        taken = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(UNGUARDED)
            .where(UNGUARDED.c.counter_id == counter_id, UNGUARDED.c.start_at.in_(units))
        )
        if taken:
            return False
        window.wait(timeout=THREAD_TIMEOUT)  # every client has checked; none has inserted
        db.session.execute(
            UNGUARDED.insert(),
            [
                {"counter_id": counter_id, "start_at": u, "appointment_id": appointment.id}
                for u in units
            ],
        )
        return True

    monkeypatch.setattr(claims, "claim", check_then_insert)
    with unguarded_claims_table():
        outcomes = race(
            app_ctx, clients, lambda i: _hold(app_ctx, office_id, selection, TUESDAY_10, now)
        )
        double = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(UNGUARDED)
            .where(UNGUARDED.c.start_at == TUESDAY_10)
        )
        db.session.commit()
    winners = codes(outcomes).count("ok")
    assert winners > 1, outcomes
    assert double == winners, "one counter's time was given to several appointments"


def test_without_the_email_lock_the_cap_is_exceeded(
    app_ctx, single_counter, now, postgresql_only, monkeypatch
):
    """The cap race with the advisory lock switched off and a barrier after the count."""
    office_id, selection = single_counter
    held = _held_appointments(office_id, selection, 6, now)
    window = threading.Barrier(len(held))
    original = operations._check_email_cap

    def unlocked_check(appointment, email, now):
        original(appointment, email, now)
        window.wait(timeout=THREAD_TIMEOUT)  # every client has counted; none has committed

    monkeypatch.setattr(operations, "lock_key", lambda name: None)
    monkeypatch.setattr(operations, "_check_email_cap", unlocked_check)

    def action(i):
        appointment = db.session.get(Appointment, held[i])
        operations.confirm(appointment, "Max Muster", "max@example.org", "", now)

    outcomes = race(app_ctx, len(held), action)
    assert codes(outcomes).count("ok") > 2, outcomes


def test_fifty_clients_on_different_times_wait_instead_of_failing(app_ctx, single_counter, now):
    """No client sees "database is locked" (SQLite) or any other error: each waits its turn.
    50 clients on 24 overlapping starts of 20 minutes: every winner blocks at most three."""
    office_id, selection = single_counter
    eight = TUESDAY_10 - dt.timedelta(hours=2)  # 08:00 in Berlin; ten-minute grid until 12:00

    def action(i):
        start_at = eight + dt.timedelta(minutes=10 * (i % 24))
        return _hold(app_ctx, office_id, selection, start_at, now)

    outcomes = race(app_ctx, CLIENTS, action)
    winners = codes(outcomes).count("ok")
    assert codes(outcomes) == ["ok"] * winners + ["slot_taken"] * (CLIENTS - winners), outcomes
    assert 8 <= winners <= 12
    claims = db.session.scalar(sa.select(sa.func.count()).select_from(SlotClaim))
    assert claims == 4 * winners  # 20 minutes = four 5-minute units each, none shared


# -- one appointment, two transitions at once ------------------------------------------------


def test_expiry_sweep_leaves_a_confirmation_in_progress_alone(
    app, app_ctx, single_counter, now, postgresql_only
):
    """A citizen confirms a second before the hold lapses, and the sweep runs a second after,
    while the confirmation is not yet committed. The sweep must not overwrite the booking with
    "expired" (that would leave a confirmed citizen without a booking, and a ghost claim)."""
    office_id, selection = single_counter
    appointment = operations.hold(db.session.get(Office, office_id), selection, TUESDAY_10, now)
    appointment_id, lapses_at = appointment.id, appointment.hold_expires_at
    db.session.commit()
    confirmed_uncommitted, sweep_finished = threading.Event(), threading.Event()

    def confirm_then_wait():
        with app.app_context():
            held = db.session.get(Appointment, appointment_id)
            second_before = lapses_at - dt.timedelta(seconds=1)
            operations.confirm(held, "Ada Muster", "ada@example.org", "", second_before)
            confirmed_uncommitted.set()
            sweep_finished.wait(3)  # a sweep blocked on the row cannot finish before this
            db.session.commit()

    citizen = threading.Thread(target=confirm_then_wait)
    citizen.start()
    assert confirmed_uncommitted.wait(THREAD_TIMEOUT)
    swept = operations.expire_lapsed(lapses_at + dt.timedelta(seconds=1))
    sweep_finished.set()
    db.session.commit()
    citizen.join(THREAD_TIMEOUT)

    db.session.expire_all()
    assert swept == 0
    assert db.session.get(Appointment, appointment_id).status == AppointmentStatus.CONFIRMED
    assert all(claim.expires_at is None for claim in _claims_at(TUESDAY_10))


def test_two_cancellations_at_once_cancel_once(app, app_ctx, single_counter, now):
    """A double click, or the citizen and the office at the same moment: one cancellation
    happens (one mail, one new calendar sequence), the other is told it already happened."""
    office_id, selection = single_counter
    appointment = operations.hold(db.session.get(Office, office_id), selection, TUESDAY_10, now)
    operations.confirm(appointment, "Ada Muster", "ada@example.org", "", now)
    appointment_id, sequence = appointment.id, appointment.sequence
    db.session.commit()  # and no read after it: on SQLite a read would hold the write lock

    def cancel(_i):
        operations.cancel(db.session.get(Appointment, appointment_id), now)

    outcomes = race(app, 8, cancel)

    assert codes(outcomes) == ["cancelled"] * 7 + ["ok"]
    db.session.expire_all()
    assert db.session.get(Appointment, appointment_id).sequence == sequence + 1
