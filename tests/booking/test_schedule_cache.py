"""Staffing kept per schedule stamp, free days kept for a few seconds: never stale after a
change made through the operations or the models."""

import datetime as dt

import pytest

from terminvergabe.booking import operations, schedule_cache
from terminvergabe.booking.models import Closure, ShiftPattern
from terminvergabe.db import db

TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def cached_days(app_ctx):
    app_ctx.config["AVAILABILITY_CACHE_SECONDS"] = 60
    schedule_cache.clear()
    yield
    app_ctx.config["AVAILABILITY_CACHE_SECONDS"] = 0


def one_counter_office(office):
    """Only Schalter 1 stays staffed, so one booking can fill a time."""
    for pattern in db.session.query(ShiftPattern).all():
        if pattern.counter.name != "Schalter 1":
            db.session.delete(pattern)
    db.session.commit()


def test_a_closure_restamps_the_office_and_takes_the_day_away(office, now):
    selection = {office.services[0].id: 1}
    stamp = office.schedule_stamp
    assert dt.date(2026, 1, 14) in operations.available_days(office, selection, now)
    db.session.add(
        Closure(office=office, first_day=dt.date(2026, 1, 14), last_day=dt.date(2026, 1, 14))
    )
    db.session.commit()
    assert office.schedule_stamp != stamp
    assert dt.date(2026, 1, 14) not in operations.available_days(office, selection, now)


def test_a_change_seen_within_the_same_session_before_commit(office, now):
    """The admin's capacity check asks about a change it has not committed yet."""
    selection = {office.services[0].id: 1}
    operations.available_starts(office, selection, dt.date(2026, 1, 13), now)
    for pattern in db.session.query(ShiftPattern).all():
        pattern.end_local = dt.time(10)
    starts = operations.available_starts(office, selection, dt.date(2026, 1, 13), now)
    assert max(starts).astimezone(office.zone).time() < dt.time(10)
    db.session.rollback()


def test_free_days_are_kept_and_dropped_when_this_process_books(office, now, cached_days):
    office.slot_minutes = 240  # one start a day per counter: 08:00
    office.lead_minutes = 0
    db.session.commit()
    one_counter_office(office)
    selection = {office.services[2].id: 1}
    first = operations.available_days(office, selection, now)
    wednesday = dt.date(2026, 1, 14)
    assert wednesday in first
    start = min(operations.available_starts(office, selection, wednesday, now))
    operations.hold(office, selection, start, now)
    db.session.commit()
    assert wednesday not in operations.available_days(office, selection, now)


def test_free_days_are_kept_for_the_configured_seconds(office, now, cached_days, monkeypatch):
    selection = {office.services[0].id: 1}
    calls = []
    real = operations.counter_days

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "counter_days", counting)
    operations.available_days(office, selection, now)
    operations.available_days(office, selection, now)
    assert len(calls) == 1
