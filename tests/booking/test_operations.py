import datetime as dt

import pytest

from terminvergabe.booking import availability, operations
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


def test_office_moves_a_booking_the_citizen_may_no_longer_change(office, now):
    """The deadline binds the citizen, not the office; neither moves a visit that has begun."""
    sel = selection(office, ("Anmeldung einer Wohnung", 1))
    appointment = operations.hold(office, sel, BERLIN_10, now)
    operations.confirm(appointment, "A", "a@example.org", "", now)
    inside_deadline = appointment.cancel_deadline() + dt.timedelta(minutes=1)
    new_start = BERLIN_10 + dt.timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        operations.rebook(appointment, new_start, inside_deadline)
    assert refused.value.code == "rebook_deadline"
    operations.rebook(appointment, new_start, inside_deadline, by="office")
    assert appointment.start_at == new_start
    with pytest.raises(DomainError):
        operations.rebook(appointment, BERLIN_10, new_start + dt.timedelta(minutes=1), by="office")


# -- codes and tokens ----------------------------------------------------------------------------


# -- confirmation ----------------------------------------------------------------------------------


def test_confirm_after_the_hold_lapsed_is_refused(office, now):
    appointment = operations.hold(
        office, selection(office, ("Reisepass beantragen", 1)), BERLIN_10, now
    )
    with pytest.raises(DomainError) as refused:
        operations.confirm(appointment, "A", "a@example.org", "", now + dt.timedelta(minutes=10))
    assert refused.value.code == "hold_expired"
    assert appointment.status == AppointmentStatus.HELD


def test_confirm_twice_is_refused(office, now):
    appointment = operations.hold(
        office, selection(office, ("Reisepass beantragen", 1)), BERLIN_10, now
    )
    operations.confirm(appointment, "A", "a@example.org", "", now)
    with pytest.raises(DomainError) as refused:
        operations.confirm(appointment, "A", "a@example.org", "", now)
    assert refused.value.code == "not_held"


def test_email_cap_counts_upcoming_bookings_of_one_address(office, now):
    sel = selection(office, ("Anmeldung einer Wohnung", 1))
    booked = []
    for k in range(office.max_active_per_email):
        appointment = operations.hold(office, sel, BERLIN_10 + dt.timedelta(minutes=10 * k), now)
        booked.append(operations.confirm(appointment, "A", f"A@Example.org{' ' * k}", "", now))
    extra = operations.hold(office, sel, BERLIN_10 + dt.timedelta(hours=1), now)
    with pytest.raises(DomainError) as refused:
        operations.confirm(extra, "A", "a@EXAMPLE.org", "", now)
    assert refused.value.code == "email_cap"
    operations.confirm(extra, "B", "b@example.org", "", now)  # another address is fine
    operations.cancel(booked[0], now)
    other = operations.hold(office, sel, BERLIN_10 + dt.timedelta(minutes=90), now)
    operations.confirm(other, "A", "a@example.org", "", now)  # a cancelled one does not count


def test_double_opt_in(office, now):
    office.double_opt_in, office.opt_in_minutes = True, 30
    sel = selection(office, ("Anmeldung einer Wohnung", 1))
    appointment = operations.hold(office, sel, BERLIN_10, now)
    operations.confirm(appointment, "A", "a@example.org", "", now)
    assert appointment.status == AppointmentStatus.PENDING
    assert {c.expires_at for c in db.session.query(SlotClaim)} == {now + dt.timedelta(minutes=30)}
    operations.opt_in(appointment, now + dt.timedelta(minutes=29))
    assert appointment.status == AppointmentStatus.CONFIRMED
    operations.opt_in(appointment, now + dt.timedelta(minutes=40))  # a second click: nothing
    assert {c.expires_at for c in db.session.query(SlotClaim)} == {None}


def test_unconfirmed_opt_in_lapses_and_frees_the_time(office, now):
    office.double_opt_in, office.opt_in_minutes = True, 30
    sel = selection(office, ("Anmeldung einer Wohnung", 1))
    appointment = operations.hold(office, sel, BERLIN_10, now)
    operations.confirm(appointment, "A", "a@example.org", "", now)
    later = now + dt.timedelta(minutes=30)
    with pytest.raises(DomainError):
        operations.opt_in(appointment, later)
    assert operations.expire_lapsed(later) == 1
    assert operations.expire_lapsed(later) == 0  # safe to run twice
    assert appointment.status == AppointmentStatus.EXPIRED
    assert db.session.query(SlotClaim).count() == 0


# -- cancel and rebook -----------------------------------------------------------------------------


def test_citizen_cannot_cancel_after_the_deadline_but_the_office_can(office, now):
    appointment = operations.hold(
        office, selection(office, ("Reisepass beantragen", 1)), BERLIN_10, now
    )
    operations.confirm(appointment, "A", "a@example.org", "", now)
    late = BERLIN_10 - dt.timedelta(hours=23)
    with pytest.raises(DomainError) as refused:
        operations.cancel(appointment, late)
    assert refused.value.code == "cancel_deadline"
    with pytest.raises(DomainError):
        operations.rebook(appointment, BERLIN_10 + dt.timedelta(hours=1), late)
    operations.cancel(appointment, late, by="office")
    assert appointment.status == AppointmentStatus.CANCELLED
    with pytest.raises(DomainError) as again:
        operations.cancel(appointment, late, by="office")
    assert again.value.code == "cancelled"


def test_cancelled_time_returns_only_after_the_cooldown(office, now):
    office.cancel_cooldown_minutes = 30
    sel = selection(office, ("Reisepass beantragen", 1))
    for _ in range(2):  # both counters
        appointment = operations.hold(office, sel, BERLIN_10, now)
        operations.confirm(appointment, "A", f"{appointment.id}@example.org", "", now)
    operations.cancel(appointment, now)
    assert BERLIN_10 not in availability.available_starts(office, sel, BERLIN_10.date(), now)
    after = now + dt.timedelta(minutes=30)
    assert BERLIN_10 in availability.available_starts(office, sel, BERLIN_10.date(), after)
    assert operations.hold(office, sel, BERLIN_10, after).status == AppointmentStatus.HELD


def test_rebooked_time_returns_only_after_the_cooldown(office, now):
    """A rebooking gives its old time back as a cancellation does: after the cooldown."""
    office.cancel_cooldown_minutes = 30
    sel = selection(office, ("Reisepass beantragen", 1))
    for _ in range(2):  # both counters
        appointment = operations.hold(office, sel, BERLIN_10, now)
        operations.confirm(appointment, "A", f"{appointment.id}@example.org", "", now)
    operations.rebook(appointment, BERLIN_10 + dt.timedelta(hours=1), now)
    during = now + dt.timedelta(minutes=29)
    assert BERLIN_10 not in availability.available_starts(office, sel, BERLIN_10.date(), during)
    with pytest.raises(DomainError) as refused:
        operations.hold(office, sel, BERLIN_10, during)
    assert refused.value.code == "slot_taken"
    after = now + dt.timedelta(minutes=30)
    assert BERLIN_10 in availability.available_starts(office, sel, BERLIN_10.date(), after)
    assert operations.hold(office, sel, BERLIN_10, after).status == AppointmentStatus.HELD


def test_rebook_without_a_cooldown_frees_the_old_time_at_once(office, now):
    sel = selection(office, ("Reisepass beantragen", 1))
    for _ in range(2):
        appointment = operations.hold(office, sel, BERLIN_10, now)
        operations.confirm(appointment, "A", f"{appointment.id}@example.org", "", now)
    operations.rebook(appointment, BERLIN_10 + dt.timedelta(hours=1), now)
    assert operations.hold(office, sel, BERLIN_10, now).status == AppointmentStatus.HELD


def test_rebook_to_a_taken_time_keeps_the_old_one(office, now):
    sel = selection(office, ("Reisepass beantragen", 1))
    mine = operations.hold(office, sel, BERLIN_10, now)
    operations.confirm(mine, "A", "a@example.org", "", now)
    eleven = BERLIN_10 + dt.timedelta(hours=1)
    for _ in range(2):
        operations.hold(office, sel, eleven, now)
    with pytest.raises(DomainError) as refused:
        operations.rebook(mine, eleven, now)
    assert refused.value.code == "slot_taken" and refused.value.details["alternatives"]
    assert mine.start_at == BERLIN_10 and mine.sequence == 0
    assert db.session.query(SlotClaim).filter_by(appointment_id=mine.id).count() == 4


def test_rebook_onto_an_overlapping_time_on_a_full_office(app_ctx, now):
    """One counter, booked right after: moving 10 minutes later needs the time the
    appointment itself holds, which is free for it (and only for it)."""
    from tests import factories

    office = factories.create_office(counters=1)
    sel = selection(office, ("Reisepass beantragen", 1))
    mine = operations.hold(office, sel, BERLIN_10, now)
    operations.confirm(mine, "A", "a@example.org", "", now)
    moved = BERLIN_10 + dt.timedelta(minutes=10)
    operations.rebook(mine, moved, now)
    claims = sorted(c.start_at for c in db.session.query(SlotClaim))
    assert claims == [moved + dt.timedelta(minutes=5 * k) for k in range(4)]
    other = operations.hold(office, sel, BERLIN_10 - dt.timedelta(minutes=10), now)
    assert other.end_at == moved


def test_confirming_an_expired_hold_says_it_expired(office, now):
    sel = {office.services[0].id: 1}
    appointment = operations.hold(office, sel, BERLIN_10, now)
    later = now + dt.timedelta(minutes=11)
    operations.expire(appointment, later)
    with pytest.raises(DomainError) as refused:
        operations.confirm(appointment, "A", "a@example.org", "", later)
    assert refused.value.code == "hold_expired"
