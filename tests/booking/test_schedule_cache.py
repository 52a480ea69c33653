"""Staffing kept per schedule stamp, free days kept per day and revalidated against the change
notes: never stale after a change, whether made here, in another process, or by the clock.

"Another process" is a second app context: its own session and database connection. Its
changes are not announced to this process's memory (the in-process signals are switched off by
`separate_processes`), so only the change notes in the database can tell this process."""

import datetime as dt
import itertools
import sys
import threading
from contextlib import contextmanager

import pytest

from terminvergabe.booking import availability, operations, schedule_cache
from terminvergabe.booking.models import (
    Appointment,
    AvailabilityChange,
    Closure,
    Office,
    ShiftPattern,
)
from terminvergabe.db import db

TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)
TUESDAY = dt.date(2026, 1, 13)
WEDNESDAY = dt.date(2026, 1, 14)
THURSDAY = dt.date(2026, 1, 15)
FRIDAY = dt.date(2026, 1, 16)


@pytest.fixture
def separate_processes(app_ctx, monkeypatch):
    """Free days kept in memory, and changes made by the other app context not announced."""
    schedule_cache.clear()
    monkeypatch.setattr(schedule_cache, "forget_days", lambda office_id: None)
    yield app_ctx


@contextmanager
def other_process(app):
    """A request in another server process; commits at the end."""
    db.session.commit()  # this process's request is over (on SQLite it would hold the lock)
    with app.app_context():
        yield
        db.session.commit()


@pytest.fixture
def one_start_a_day(office):
    """Only Schalter 1 staffed, one start a day (08:00): one booking fills a day."""
    for pattern in db.session.query(ShiftPattern).all():
        if pattern.counter.name != "Schalter 1":
            db.session.delete(pattern)
    office.slot_minutes = 240
    office.lead_minutes = 0
    db.session.commit()
    return office.id, {office.services[2].id: 1}


def ask(office_id, selection, now):
    """The free days, as a new request in this process asks for them."""
    db.session.rollback()
    return availability.available_days(db.session.get(Office, office_id), selection, now)


def eight_oclock(day):
    return dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC)  # 08:00 in Berlin (winter)


def hold_in_other_process(app, office_id, selection, day, now, minutes=None):
    with other_process(app):
        office = db.session.get(Office, office_id)
        appointment = operations.hold(
            office, selection, eight_oclock(day), now, hold_minutes=minutes
        )
        return appointment.id


def test_a_closure_restamps_the_office_and_takes_the_day_away(office, now):
    selection = {office.services[0].id: 1}
    stamp = office.schedule_stamp
    assert WEDNESDAY in availability.available_days(office, selection, now)
    db.session.add(Closure(office=office, first_day=WEDNESDAY, last_day=WEDNESDAY))
    db.session.commit()
    assert office.schedule_stamp != stamp
    assert WEDNESDAY not in availability.available_days(office, selection, now)


def test_a_change_seen_within_the_same_session_before_commit(office, now):
    """The admin's capacity check asks about a change it has not committed yet."""
    selection = {office.services[0].id: 1}
    availability.available_starts(office, selection, TUESDAY, now)
    for pattern in db.session.query(ShiftPattern).all():
        pattern.end_local = dt.time(10)
    starts = availability.available_starts(office, selection, TUESDAY, now)
    assert max(starts).astimezone(office.zone).time() < dt.time(10)
    db.session.rollback()


def test_a_hold_in_another_process_takes_the_day_away_at_once(
    separate_processes, one_start_a_day, now, monkeypatch
):
    office_id, selection = one_start_a_day
    assert WEDNESDAY in ask(office_id, selection, now)
    hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, now)

    read = []
    real = availability.open_days

    def recording(office, days, *args, **kwargs):
        read.extend(days)
        return real(office, days, *args, **kwargs)

    monkeypatch.setattr(availability, "open_days", recording)
    free = ask(office_id, selection, now)
    assert WEDNESDAY not in free
    assert THURSDAY in free
    # Only the changed day was read again.
    assert read == [WEDNESDAY]


def test_the_lead_time_passing_the_last_free_time_of_a_kept_day(separate_processes, office, now):
    """Monday 09:00, one hour's lead: Monday has free times from 10:00 to 12:00; at 11:30 the
    lead time has passed them all, with nothing written anywhere."""
    selection = {office.services[2].id: 1}
    monday = now.date()
    assert monday in ask(office.id, selection, now)
    assert monday in ask(office.id, selection, now + dt.timedelta(hours=1, minutes=50))
    assert monday not in ask(office.id, selection, now + dt.timedelta(hours=2, minutes=30))


def test_a_cancel_in_another_process_gives_the_day_back(separate_processes, one_start_a_day, now):
    office_id, selection = one_start_a_day
    appointment_id = hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, now)
    assert WEDNESDAY not in ask(office_id, selection, now)
    with other_process(separate_processes):
        operations.cancel(db.session.get(Appointment, appointment_id), now)
    assert WEDNESDAY in ask(office_id, selection, now)


def test_a_rebook_in_another_process_moves_the_taken_day(separate_processes, one_start_a_day, now):
    office_id, selection = one_start_a_day
    appointment_id = hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, now)
    with other_process(separate_processes):
        appointment = db.session.get(Appointment, appointment_id)
        operations.confirm(appointment, "Erika Muster", "erika@example.org", "", now)
    free = ask(office_id, selection, now)
    assert WEDNESDAY not in free and FRIDAY in free
    with other_process(separate_processes):
        appointment = db.session.get(Appointment, appointment_id)
        operations.rebook(appointment, eight_oclock(FRIDAY), now)
    free = ask(office_id, selection, now)
    assert WEDNESDAY in free and FRIDAY not in free


def test_a_lapsed_hold_frees_the_day_without_any_write(separate_processes, one_start_a_day, now):
    office_id, selection = one_start_a_day
    hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, now, minutes=10)
    assert WEDNESDAY not in ask(office_id, selection, now)
    assert WEDNESDAY not in ask(office_id, selection, now + dt.timedelta(minutes=9))
    assert WEDNESDAY in ask(office_id, selection, now + dt.timedelta(minutes=10))
    # Asking about an earlier moment again does not reuse the later answer.
    assert WEDNESDAY not in ask(office_id, selection, now + dt.timedelta(minutes=5))


def test_the_expiry_job_and_a_new_hold_in_another_process(separate_processes, one_start_a_day, now):
    office_id, selection = one_start_a_day
    hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, now, minutes=10)
    later = now + dt.timedelta(minutes=11)
    assert WEDNESDAY in ask(office_id, selection, later)
    with other_process(separate_processes):
        assert operations.expire_lapsed(later) == 1
    assert WEDNESDAY in ask(office_id, selection, later)
    hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, later)
    assert WEDNESDAY not in ask(office_id, selection, later)


def test_a_cooldown_in_another_process_keeps_the_day_until_it_lapses(
    separate_processes, one_start_a_day, now
):
    office_id, selection = one_start_a_day
    with other_process(separate_processes):
        db.session.get(Office, office_id).cancel_cooldown_minutes = 30
    appointment_id = hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, now)
    with other_process(separate_processes):
        appointment = db.session.get(Appointment, appointment_id)
        operations.confirm(appointment, "Erika Muster", "erika@example.org", "", now)
    assert WEDNESDAY not in ask(office_id, selection, now)
    with other_process(separate_processes):
        operations.cancel(db.session.get(Appointment, appointment_id), now)
    assert WEDNESDAY not in ask(office_id, selection, now + dt.timedelta(minutes=29))
    assert WEDNESDAY in ask(office_id, selection, now + dt.timedelta(minutes=30))


def test_a_schedule_change_in_another_process(separate_processes, one_start_a_day, now):
    office_id, selection = one_start_a_day
    assert THURSDAY in ask(office_id, selection, now)
    with other_process(separate_processes):
        db.session.add(Closure(office_id=office_id, first_day=THURSDAY, last_day=THURSDAY))
    assert THURSDAY not in ask(office_id, selection, now)


def test_an_uncommitted_hold_is_seen_by_its_own_transaction_only(
    separate_processes, one_start_a_day, now
):
    office_id, selection = one_start_a_day
    assert WEDNESDAY in ask(office_id, selection, now)
    office = db.session.get(Office, office_id)
    operations.hold(office, selection, eight_oclock(WEDNESDAY), now)
    assert WEDNESDAY not in availability.available_days(office, selection, now)
    db.session.rollback()  # the booking fails after all: nothing of it was kept
    assert WEDNESDAY in ask(office_id, selection, now)


def test_a_transaction_that_commits_late_is_not_missed(separate_processes, one_start_a_day, now):
    """A hold flushed (change note written) before a reader looks, committed after a later
    transaction and after the reader's look: the reader must still learn of it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one transaction at a time: none can commit late")
    office_id, selection = one_start_a_day
    assert WEDNESDAY in ask(office_id, selection, now)
    db.session.commit()
    app = separate_processes
    with app.app_context():  # the slow one
        operations.hold(db.session.get(Office, office_id), selection, eight_oclock(WEDNESDAY), now)
        with app.app_context():  # a quick one, begun later, committed first
            office = db.session.get(Office, office_id)
            operations.hold(office, selection, eight_oclock(THURSDAY), now)
            db.session.commit()
        with app.app_context():  # this process looks in between
            free = ask(office_id, selection, now)
            assert WEDNESDAY in free and THURSDAY not in free
            db.session.commit()
        db.session.commit()  # the slow one commits last
    free = ask(office_id, selection, now)
    assert WEDNESDAY not in free and THURSDAY not in free


def test_the_database_is_asked_at_most_every_configured_seconds(
    separate_processes, one_start_a_day, now
):
    """With AVAILABILITY_CACHE_SECONDS set, another process's booking may be seen that late;
    a booking made in this process is seen at once."""
    office_id, selection = one_start_a_day
    monkey_config = separate_processes.config
    monkey_config["AVAILABILITY_CACHE_SECONDS"] = 60
    try:
        assert WEDNESDAY in ask(office_id, selection, now)
        hold_in_other_process(separate_processes, office_id, selection, WEDNESDAY, now)
        assert WEDNESDAY in ask(office_id, selection, now)  # not asked again yet
    finally:
        monkey_config["AVAILABILITY_CACHE_SECONDS"] = 0
    assert WEDNESDAY not in ask(office_id, selection, now)


def test_a_booking_in_this_process_is_seen_at_once_with_seconds_set(app_ctx, one_start_a_day, now):
    office_id, selection = one_start_a_day
    schedule_cache.clear()
    app_ctx.config["AVAILABILITY_CACHE_SECONDS"] = 60
    try:
        assert WEDNESDAY in ask(office_id, selection, now)
        office = db.session.get(Office, office_id)
        operations.hold(office, selection, eight_oclock(WEDNESDAY), now)
        db.session.commit()
        assert WEDNESDAY not in ask(office_id, selection, now)
    finally:
        app_ctx.config["AVAILABILITY_CACHE_SECONDS"] = 0


def test_change_notes_are_written_for_every_move_and_deleted_after_a_day(office, now):
    selection = {office.services[0].id: 1}
    appointment = operations.hold(office, selection, TUESDAY_10, now)
    db.session.commit()
    assert db.session.query(AvailabilityChange).count() == 1
    operations.confirm(appointment, "Erika Muster", "erika@example.org", "", now)
    operations.rebook(appointment, TUESDAY_10 + dt.timedelta(days=1), now)
    db.session.commit()
    starts = {note.start_at for note in db.session.query(AvailabilityChange)}
    assert starts == {TUESDAY_10, TUESDAY_10 + dt.timedelta(days=1)}
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert schedule_cache.forget_old_changes(far, far) == 0
    assert db.session.query(AvailabilityChange).count() == 0


def test_staffing_kept_by_many_threads_while_entries_are_evicted():
    """A thread goes round the kept stamps (each found when it is the oldest entry) while another
    adds new ones (which evict the oldest), for two seconds: a lookup whose entry is evicted
    meanwhile must not fail (the unlocked cache raised KeyError here within a second)."""
    schedule_cache.clear()
    kept = [f"kept-{n}" for n in range(schedule_cache.MAX_OFFICES)]
    errors = []
    stop = threading.Event()

    def go_round():
        while not stop.is_set():
            for stamp in kept:
                assert schedule_cache.cached(stamp, lambda s=stamp: s) == stamp

    def add_new():
        for n in itertools.count():
            if stop.is_set():
                return
            stamp = f"new-{n}"
            assert schedule_cache.cached(stamp, lambda s=stamp: s) == stamp

    def run(work):
        try:
            work()
        except Exception as error:  # reported below, from the main thread
            errors.append(error)
            stop.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    threads = [threading.Thread(target=run, args=(work,)) for work in (go_round, add_new)]
    try:
        for thread in threads:
            thread.start()
        stop.wait(timeout=2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        sys.setswitchinterval(interval)
        schedule_cache.clear()
    assert not errors, repr(errors[:3])
