import datetime as dt

import pytest

from terminvergabe.booking import operations
from terminvergabe.booking.models import AppointmentStatus, SlotClaim
from terminvergabe.db import db
from terminvergabe.errors import DomainError

BERLIN_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Berlin


def selection(office, *pairs):
    by_name = {s.name: s.id for s in office.services}
    return {by_name[name]: qty for name, qty in pairs}


def test_hold_confirm_cancel(office, now):
    sel = selection(office, ("Reisepass beantragen", 2))
    appointment = operations.hold(office, sel, BERLIN_10, now)
    assert appointment.status == AppointmentStatus.HELD
    assert appointment.end_at - appointment.start_at == dt.timedelta(minutes=40)
    assert db.session.query(SlotClaim).count() == 8
    operations.confirm(appointment, "Erika Mustermann", "Erika@Example.org ", "", now)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.citizen_email == "erika@example.org"
    operations.cancel(appointment, now)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert db.session.query(SlotClaim).count() == 0


def test_third_hold_on_two_counters_is_refused_with_alternatives(office, now):
    sel = selection(office, ("Personalausweis beantragen", 1))
    operations.hold(office, sel, BERLIN_10, now)
    operations.hold(office, sel, BERLIN_10, now)
    with pytest.raises(DomainError) as refused:
        operations.hold(office, sel, BERLIN_10, now)
    assert refused.value.code == "slot_taken"
    assert refused.value.details["alternatives"]


def test_expired_hold_frees_time_without_a_job(office, now):
    sel = selection(office, ("Personalausweis beantragen", 1))
    for _ in range(2):
        operations.hold(office, sel, BERLIN_10, now)
    later = now + dt.timedelta(minutes=11)
    appointment = operations.hold(office, sel, BERLIN_10, later)
    assert appointment.status == AppointmentStatus.HELD


def test_rebook_moves_claims(office, now):
    sel = selection(office, ("Anmeldung einer Wohnung", 1))
    appointment = operations.hold(office, sel, BERLIN_10, now)
    operations.confirm(appointment, "A", "a@example.org", "", now)
    new_start = BERLIN_10 + dt.timedelta(minutes=5 * 2)
    operations.rebook(appointment, new_start, now)
    assert appointment.start_at == new_start
    assert appointment.sequence == 1
    starts = sorted(c.start_at for c in db.session.query(SlotClaim))
    assert starts == [new_start, new_start + dt.timedelta(minutes=5)]
