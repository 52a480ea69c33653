"""The demo city: what `flask demo` loads, and that loading it twice changes nothing."""

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking import availability, demo
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Mode,
    Municipality,
    Office,
    Service,
    SlotClaim,
    StaffMember,
)
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
    assert len(office.public_offers) == 15
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
    assert _count(Office) == 4 and _count(Appointment) == appointments
    assert _count(StaffMember, StaffMember.login.is_not(None)) == 2


def test_a_later_run_books_the_new_coming_days(app_ctx):
    demo.load_demo(MONDAY_9, FEW)
    db.session.commit()
    _office, booked = demo.load_demo(MONDAY_9 + dt.timedelta(days=14), FEW)
    assert booked > 0


def test_the_city_has_three_offices_and_a_second_municipality(app_ctx):
    notes = []
    demo.load_demo(MONDAY_9, FEW, notes)
    db.session.commit()
    towns = {m.slug: m for m in db.session.scalars(sa.select(Municipality))}
    assert set(towns) == {"rheinstadt", "auenwald"}
    assert len(towns["rheinstadt"].offices) == 3 and len(towns["auenwald"].offices) == 1
    assert towns["auenwald"].colour != towns["rheinstadt"].colour
    for office in demo.demo_offices():
        assert office.counters and office.district and office.directions
        first = office.public_offers[0]
        assert availability.available_days(office, {first.service_id: 1}, MONDAY_9), office.slug
        assert _count(Appointment, Appointment.office_id == office.id) > 0, office.slug
    kfz = next(o for o in demo.demo_offices() if o.slug == "rheinstadt-kfz")
    assert all(
        any(w in s.name for w in ("Fahrzeug", "kennzeichen", "Führerschein")) for s in kfz.services
    )
    nord = next(o for o in demo.demo_offices() if o.slug == "rheinstadt-nord")
    days = counter_days(nord, dt.date(2026, 11, 23), dt.date(2026, 12, 6), MONDAY_9)
    assert dt.date(2026, 11, 27) not in days  # closed on Fridays
    latest = max(s.end for c in days[dt.date(2026, 11, 26)] for s in c.staffed)
    assert latest.astimezone(nord.zone).time() == dt.time(19)
    assert any("admin.rheinstadt" in line for line in notes)
    assert any("leitung.nord" in line for line in notes)


def test_the_catalogue_has_fees_synonyms_and_checked_leika_keys(app_ctx):
    office, _booked = demo.load_demo(MONDAY_9, FEW)
    services = db.session.scalars(sa.select(Service)).all()
    for municipality_id in {s.municipality_id for s in services}:
        keys = [s.leika_id for s in services if s.municipality_id == municipality_id and s.leika_id]
        assert keys and len(keys) == len(set(keys))
        assert all(len(k) == 14 and k.isdigit() for k in keys)
    perso = next(s for s in office.services if s.name == "Personalausweis beantragen")
    assert perso.fee_cents == 3700 and "22,80" in perso.fee_note
    assert "Perso" in perso.synonym_list and perso.text("name", "en") != perso.name
    modes = {m for o in office.public_offers for m in o.mode_list}
    assert {Mode.PHONE, Mode.VIDEO} <= modes
    video = next(o for o in office.public_offers if Mode.VIDEO in o.mode_list)
    assert video.video_url.startswith("https://")
