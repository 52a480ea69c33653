"""From the database to the slot engine: holidays, closures, shifts and their exceptions,
opening hours, and the booking window (lead time, horizon, release time)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import (
    Closure,
    Counter,
    OpeningHours,
    ShiftException,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.booking.schedules import booking_window, counter_days, holiday_name
from terminvergabe.db import db
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = dt.date(2026, 1, 13)


def at(day, hour, minute=0):
    """A local wall time in Berlin as aware UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN).astimezone(dt.UTC)


def walls(intervals):
    return [
        (a.astimezone(BERLIN).strftime("%H:%M"), b.astimezone(BERLIN).strftime("%H:%M"))
        for a, b in intervals
    ]


def service_ids(office):
    return {s.name: s.id for s in office.services}


def select(office, *names):
    ids = service_ids(office)
    return {ids[name]: 1 for name in names}


def staffed(office, day, now):
    """{counter name: [(from, to) local]} of one day."""
    names = {c.id: c.name for c in office.counters}
    days = counter_days(office, day, day, now)
    return {
        names[c.counter_id]: walls(sorted((s.start, s.end) for s in c.staffed))
        for c in days.get(day, [])
    }


def staff_of(office, number):
    return db.session.query(StaffMember).filter_by(name=f"Sachbearbeitung {number}").one()


# -- holidays and closures -------------------------------------------------------------------


@pytest.mark.parametrize(("bundesland", "open_"), [("NW", False), ("BE", True)])
def test_fronleichnam_is_a_holiday_in_nrw_but_not_in_berlin(app_ctx, bundesland, open_):
    office = factories.create_office(bundesland=bundesland)
    corpus_christi = dt.date(2026, 6, 4)  # a Thursday
    now = at(dt.date(2026, 6, 1), 9)
    assert (holiday_name(office, corpus_christi) is None) is open_
    assert (corpus_christi in counter_days(office, corpus_christi, corpus_christi, now)) is open_
    days = availability.available_days(office, select(office, "Reisepass beantragen"), now)
    assert (corpus_christi in days) is open_
    assert dt.date(2026, 6, 3) in days and dt.date(2026, 6, 5) in days


def test_nationwide_holiday_is_closed_everywhere(app_ctx):
    office = factories.create_office(bundesland="BE")
    day = dt.date(2026, 5, 1)  # Tag der Arbeit, a Friday
    assert counter_days(office, day, day, at(dt.date(2026, 4, 27), 9)) == {}


def test_closure_closes_every_day_it_covers(app_ctx, now):
    office = factories.create_office()
    db.session.add(
        Closure(office=office, first_day=TUESDAY, last_day=TUESDAY + dt.timedelta(days=1))
    )
    days = counter_days(office, TUESDAY - dt.timedelta(days=1), TUESDAY + dt.timedelta(days=2), now)
    assert sorted(days) == [TUESDAY - dt.timedelta(days=1), TUESDAY + dt.timedelta(days=2)]


# -- shifts and their exceptions ------------------------------------------------------------


def test_whole_day_absence_takes_the_counter_out(app_ctx, now):
    office = factories.create_office(counters=2)
    db.session.add(ShiftException(staff_member=staff_of(office, 1), date=TUESDAY, kind="absence"))
    assert staffed(office, TUESDAY, now) == {"Schalter 2": [("08:00", "12:00")]}
    assert "Schalter 1" in staffed(office, TUESDAY + dt.timedelta(days=1), now)


def test_whole_day_absence_of_the_only_clerk_closes_the_day(app_ctx, now):
    office = factories.create_office(counters=1)
    db.session.add(ShiftException(staff_member=staff_of(office, 1), date=TUESDAY, kind="absence"))
    assert counter_days(office, TUESDAY, TUESDAY, now) == {}
    assert TUESDAY not in availability.available_days(
        office, select(office, "Reisepass beantragen"), now
    )


def test_partial_absence_cuts_a_gap(app_ctx, now):
    office = factories.create_office(counters=1)
    db.session.add(
        ShiftException(
            staff_member=staff_of(office, 1),
            date=TUESDAY,
            kind="absence",
            start_local=dt.time(9),
            end_local=dt.time(10, 30),
        )
    )
    assert staffed(office, TUESDAY, now) == {"Schalter 1": [("08:00", "09:00"), ("10:30", "12:00")]}
    starts = availability.available_starts(
        office, select(office, "Personalausweis beantragen"), TUESDAY, now
    )
    assert at(TUESDAY, 8, 40) in starts  # ends at 09:00
    assert at(TUESDAY, 8, 50) not in starts  # would run into the absence
    assert at(TUESDAY, 10, 20) not in starts and at(TUESDAY, 10, 30) in starts


def test_extra_shift_on_a_saturday(app_ctx, now):
    office = factories.create_office(counters=1)
    saturday = dt.date(2026, 1, 17)
    db.session.add(
        OpeningHours(office=office, weekday=5, start_local=dt.time(9), end_local=dt.time(12))
    )
    counter = office.counters[0]
    db.session.add(
        ShiftException(
            staff_member=staff_of(office, 1),
            date=saturday,
            kind="extra",
            counter_id=counter.id,
            start_local=dt.time(9),
            end_local=dt.time(11),
        )
    )
    assert staffed(office, saturday, now) == {"Schalter 1": [("09:00", "11:00")]}
    assert staffed(office, saturday + dt.timedelta(days=7), now) == {}


def test_shifts_are_clipped_to_the_opening_hours(app_ctx, now):
    office = factories.create_office(counters=1)
    pattern = db.session.query(ShiftPattern).filter_by(weekday=TUESDAY.weekday()).one()
    pattern.start_local, pattern.end_local = dt.time(7), dt.time(13)
    db.session.add(
        OpeningHours(office=office, weekday=1, start_local=dt.time(14), end_local=dt.time(18))
    )
    assert staffed(office, TUESDAY, now) == {"Schalter 1": [("08:00", "12:00")]}


def test_staff_skills_narrow_the_counter_skills(app_ctx, now):
    office = factories.create_office(counters=1)
    clerk = staff_of(office, 1)
    clerk.skills = [s for s in office.services if s.name == "Anmeldung einer Wohnung"]
    assert TUESDAY in availability.available_days(
        office, select(office, "Anmeldung einer Wohnung"), now
    )
    assert availability.available_days(office, select(office, "Reisepass beantragen"), now) == []


def test_only_a_counter_that_can_do_every_selected_service_is_offered(app_ctx, now):
    office = factories.create_office(counters=2)
    registry_only = db.session.query(Counter).filter_by(name="Schalter 2").one()
    registry_only.skills = [s for s in office.services if s.name == "Anmeldung einer Wohnung"]
    both = select(office, "Anmeldung einer Wohnung", "Reisepass beantragen")
    starts = availability.available_starts(office, both, TUESDAY, now)
    assert starts and all(ids == [office.counters[0].id] for ids in starts.values())


# -- booking window ----------------------------------------------------------------------------


def test_lead_time_hides_starts_that_come_too_soon(app_ctx):
    office = factories.create_office(lead_minutes=90)
    now = at(TUESDAY, 8, 55)
    starts = availability.available_starts(
        office, select(office, "Anmeldung einer Wohnung"), TUESDAY, now
    )
    assert min(starts) == at(TUESDAY, 10, 30)  # 08:55 + 90 min = 10:25, next grid point


def test_horizon_and_release_time(app_ctx):
    """With a 14-day horizon released at 08:00 the day 14 days ahead appears exactly at 08:00."""
    office = factories.create_office(horizon_days=14, release_time=dt.time(8))
    sel = select(office, "Anmeldung einer Wohnung")
    newest = TUESDAY + dt.timedelta(days=14)
    before = at(TUESDAY, 7, 59) + dt.timedelta(seconds=59, microseconds=999999)
    assert booking_window(office, before).last_day == newest - dt.timedelta(days=1)
    assert newest not in availability.available_days(office, sel, before)
    assert availability.available_starts(office, sel, newest, before) == {}
    assert booking_window(office, at(TUESDAY, 8)).last_day == newest
    assert newest in availability.available_days(office, sel, at(TUESDAY, 8))
    assert availability.available_starts(office, sel, newest, at(TUESDAY, 8))


# -- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("slot", "expected"), [(5, 50), (10, 50), (15, 60), (30, 60), (60, 60)])
def test_duration_is_the_sum_rounded_up_to_the_granularity(app_ctx, slot, expected):
    office = factories.create_office(slot_minutes=slot)
    ids = service_ids(office)
    chosen = availability.validate_selection(
        office, {ids["Reisepass beantragen"]: 2, ids["Anmeldung einer Wohnung"]: 1}
    )
    assert availability.selection_minutes(office, chosen) == expected
    now = at(TUESDAY - dt.timedelta(days=1), 9)
    start = min(
        availability.available_starts(office, {s.id: q for s, q in chosen.items()}, TUESDAY, now)
    )
    appointment = operations.hold(office, {s.id: q for s, q in chosen.items()}, start, now)
    assert appointment.end_at - appointment.start_at == dt.timedelta(minutes=expected)


# -- daylight saving time ------------------------------------------------------------------------


def _sunday_office():
    office = factories.create_office(
        counters=1, hours=(dt.time(0), dt.time(6)), weekdays=(6,), slot_minutes=30
    )
    db.session.add(
        OpeningHours(office=office, weekday=6, start_local=dt.time(8), end_local=dt.time(12))
    )
    pattern = db.session.query(ShiftPattern).one()
    db.session.add(
        ShiftPattern(
            staff_member_id=pattern.staff_member_id,
            counter_id=pattern.counter_id,
            weekday=6,
            start_local=dt.time(8),
            end_local=dt.time(12),
        )
    )
    offer = office.offers[0]
    offer.duration_minutes = 30
    return office, {offer.service_id: 1}


@pytest.mark.parametrize(
    ("day", "count", "first", "last_night"),
    [
        # clocks go forward: 00:00-06:00 lasts five hours
        (dt.date(2026, 3, 29), 10 + 8, "2026-03-28T23:00:00+00:00", "2026-03-29T03:30:00+00:00"),
        # clocks go back: 00:00-06:00 lasts seven hours
        (dt.date(2026, 10, 25), 14 + 8, "2026-10-24T22:00:00+00:00", "2026-10-25T04:30:00+00:00"),
    ],
)
def test_dst_sundays_have_the_right_starts(app_ctx, day, count, first, last_night):
    office, sel = _sunday_office()
    now = at(day - dt.timedelta(days=5), 12)
    assert day in availability.available_days(office, sel, now)
    starts = list(availability.available_starts(office, sel, day, now))
    assert len(starts) == count
    assert starts[0].isoformat() == first
    night = [s for s in starts if s.astimezone(BERLIN).hour < 6]
    assert night[-1].isoformat() == last_night
    assert [s.astimezone(BERLIN).strftime("%H:%M") for s in starts[-8:]] == [
        f"{h:02d}:{m:02d}" for h in range(8, 12) for m in (0, 30)
    ]
    appointment = operations.hold(office, sel, night[-1], now)
    assert appointment.end_at == at(day, 6)


def test_a_shift_starting_in_the_skipped_hour_starts_at_the_switch(app_ctx):
    office, sel = _sunday_office()
    day = dt.date(2026, 3, 29)
    pattern = db.session.query(ShiftPattern).filter_by(start_local=dt.time(0)).one()
    pattern.start_local = dt.time(2, 30)  # does not exist that night
    now = at(day - dt.timedelta(days=5), 12)
    assert staffed(office, day, now)["Schalter 1"][0] == ("03:00", "06:00")
