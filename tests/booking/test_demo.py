"""The demo office: what `flask demo` loads, and that loading it twice changes nothing."""

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking import availability, demo
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office, SlotClaim
from terminvergabe.booking.schedules import counter_days
from terminvergabe.db import db

MONDAY_9 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
FEW = (0.3, 0.2, 0.1)  # a lighter calendar than the real demo: the test stays quick


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_demo_office_is_realistic_and_bookable(app_ctx):
    office, booked = demo.load_demo(MONDAY_9, FEW)
    db.session.commit()
    assert office.bundesland == "NW" and office.time_zone == "Europe/Berlin"
    assert len(office.counters) == 6
    assert len(office.public_offers) == 12
    assert all(o.service.what_to_bring for o in office.public_offers)
    assert booked > 20
    assert _count(Appointment, Appointment.status == AppointmentStatus.CONFIRMED) == booked
    # Every confirmed appointment holds its time for good; none overlaps another.
    assert _count(SlotClaim, SlotClaim.expires_at.is_(None)) > booked

    registration_only = next(c for c in office.counters if "Meldewesen" in c.name)
    assert {s.name for s in registration_only.skills} >= {"Anmeldung einer Wohnung"}
    assert "Reisepass beantragen" not in {s.name for s in registration_only.skills}

    days = counter_days(office, dt.date(2026, 11, 23), dt.date(2026, 12, 31), MONDAY_9)
    thursday, saturday = dt.date(2026, 11, 26), dt.date(2026, 11, 28)
    latest = max(s.end for c in days[thursday] for s in c.staffed)
    assert latest.astimezone(office.zone).time() == dt.time(18)
    assert saturday in days and dt.date(2026, 11, 29) not in days  # no Sundays
    assert dt.date(2026, 12, 24) not in days and dt.date(2026, 12, 25) not in days

    passport = next(s for s in office.services if s.name == "Reisepass beantragen")
    assert availability.available_days(office, {passport.id: 2}, MONDAY_9)


def test_loading_the_demo_twice_changes_nothing(app_ctx):
    demo.load_demo(MONDAY_9, FEW)
    db.session.commit()
    appointments = _count(Appointment)
    _office, booked = demo.load_demo(MONDAY_9, FEW)
    db.session.commit()
    assert booked == 0
    assert _count(Office) == 1 and _count(Appointment) == appointments


def test_a_later_run_books_the_new_coming_days(app_ctx):
    demo.load_demo(MONDAY_9, FEW)
    db.session.commit()
    _office, booked = demo.load_demo(MONDAY_9 + dt.timedelta(days=14), FEW)
    assert booked > 0
