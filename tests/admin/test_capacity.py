"""Which appointments lose their counter when capacity is taken away."""

import datetime as dt

from terminvergabe.admin import capacity
from terminvergabe.booking.models import (
    Closure,
    ShiftException,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from tests.admin.conftest import TUESDAY_10, book

TUESDAY = dt.date(2026, 1, 13)


def test_nothing_affected_on_the_normal_schedule(office, now):
    book(office, TUESDAY_10, now, "a@example.org")
    assert capacity.affected_appointments(office, now) == []


def test_closure_affects_the_appointments_of_its_days(office, now):
    a = book(office, TUESDAY_10, now, "a@example.org")
    b = book(office, TUESDAY_10, now, "b@example.org")
    c = book(office, TUESDAY_10 + dt.timedelta(days=1), now, "c@example.org")

    def close_tuesday():
        db.session.add(Closure(office=office, first_day=TUESDAY, last_day=TUESDAY))

    preview = capacity.preview(office, close_tuesday, now)
    assert sorted(preview.affected_ids) == sorted([a.id, b.id])
    assert c.id not in preview.affected_ids
    # the preview saved nothing
    assert db.session.query(Closure).count() == 0
    assert capacity.affected_appointments(office, now) == []


def test_shorter_shift_affects_only_appointments_past_its_new_end(office, now):
    early = book(office, TUESDAY_10, now, "a@example.org")  # 10:00-10:20
    late = book(office, TUESDAY_10 + dt.timedelta(hours=1, minutes=30), now, "b@example.org")
    counter_id = late.counter_id

    def shorten():
        for pattern in db.session.query(ShiftPattern).filter_by(counter_id=counter_id, weekday=1):
            pattern.end_local = dt.time(11)

    affected = capacity.preview(office, shorten, now).affected_ids
    assert affected == [late.id]
    assert early.id not in affected


def test_removed_skill_affects_appointments_with_that_service(office, now):
    passport = book(office, TUESDAY_10, now, "a@example.org", (("Reisepass beantragen", 1),))
    other = book(office, TUESDAY_10 + dt.timedelta(hours=1), now, "b@example.org")
    counter = next(c for c in office.counters if c.id == passport.counter_id)

    def remove_passport_skill():
        counter.skills = [s for s in counter.skills if s.name != "Reisepass beantragen"]

    affected = capacity.preview(office, remove_passport_skill, now).affected_ids
    assert affected == [passport.id]
    assert other.id not in affected


def test_absence_affects_the_staff_members_appointments(office, now):
    a = book(office, TUESDAY_10, now, "a@example.org")
    pattern = db.session.query(ShiftPattern).filter_by(counter_id=a.counter_id).first()

    def absent():
        db.session.add(
            ShiftException(
                staff_member_id=pattern.staff_member_id,
                date=TUESDAY,
                kind="absence",
                start_local=dt.time(9, 30),
                end_local=dt.time(10, 10),
            )
        )

    assert capacity.preview(office, absent, now).affected_ids == [a.id]


def test_deactivated_staff_member_leaves_the_counter_empty(office, now):
    a = book(office, TUESDAY_10, now, "a@example.org")
    pattern = db.session.query(ShiftPattern).filter_by(counter_id=a.counter_id).first()

    def deactivate():
        db.session.get(StaffMember, pattern.staff_member_id).active = False

    assert capacity.preview(office, deactivate, now).affected_ids == [a.id]


def test_past_and_cancelled_appointments_are_not_affected(office, now):
    from terminvergabe.booking import operations

    a = book(office, TUESDAY_10, now, "a@example.org")
    operations.cancel(a, now)
    db.session.add(Closure(office=office, first_day=TUESDAY, last_day=TUESDAY))
    db.session.flush()
    assert capacity.affected_appointments(office, now) == []
    b = book(office, TUESDAY_10 + dt.timedelta(days=1), now, "b@example.org")
    later = b.end_at + dt.timedelta(minutes=1)
    db.session.add(Closure(office=office, first_day=TUESDAY, last_day=TUESDAY + dt.timedelta(1)))
    db.session.flush()
    assert capacity.affected_appointments(office, later) == []


def test_impact_offers_free_times_on_the_changed_schedule(office, now):
    a = book(office, TUESDAY_10, now, "a@example.org")

    def close_tuesday():
        db.session.add(Closure(office=office, first_day=TUESDAY, last_day=TUESDAY))

    impact = capacity.impact(office, close_tuesday, now)
    assert [x.id for x in impact.appointments] == [a.id]
    options = impact.options[a.id]
    assert options
    assert all(o.astimezone(office.zone).date() != TUESDAY for o in options)
