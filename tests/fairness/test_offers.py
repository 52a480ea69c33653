"""Waitlist offers: freed times offered in registration order, claimed, lapsed, withdrawn
(terminvergabe/fairness/offers.py)."""

import datetime as dt

import pytest
import sqlalchemy as sa

from terminvergabe.booking import availability, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import offers, tasks, waitlist
from terminvergabe.fairness.models import EntryStatus, OfferStatus
from tests.fairness.conftest import TUESDAY_0800, anmeldung
from tests.fairness.test_waitlist import FIRST, join, offers_of


def test_freed_times_go_in_registration_order_one_at_a_time(scarce_office, now, mails):
    office, booked = scarce_office
    ada = join(office, now, "Ada", 1)
    ben = join(office, now, "Ben", 2)
    cem = join(office, now, "Cem", 3)
    operations.cancel(booked[2], now)  # Wednesday 08:00
    assert [o.start_at for o in offers_of(ada)] == [booked[2].start_at]
    assert offers_of(ben) == offers_of(cem) == []
    operations.cancel(booked[0], now)  # Tuesday 08:00: Ada has an open offer, so Ben
    assert [o.start_at for o in offers_of(ben)] == [TUESDAY_0800]
    assert len(offers_of(ada)) == 1
    offer_mails = [m for m in mails if m["kind"] == "offer"]
    assert [m["to"] for m in offer_mails] == ["ada@example.org", "ben@example.org"]
    # The offered time is held: nobody else can hold it.
    with pytest.raises(DomainError):
        operations.hold(office, anmeldung(office), TUESDAY_0800, now)


def test_lapsed_offer_goes_to_the_next_and_never_twice_to_the_same(scarce_office, now):
    office, booked = scarce_office
    ada = join(office, now, "Ada", 1)
    ben = join(office, now, "Ben", 2)
    operations.cancel(booked[1], now)
    (offer,) = offers_of(ada)
    later = offer.expires_at + dt.timedelta(minutes=1)
    tasks.run(later)
    assert offer.status == OfferStatus.LAPSED
    assert offer.appointment.status == AppointmentStatus.EXPIRED
    assert [o.start_at for o in offers_of(ben)] == [booked[1].start_at]
    # Ben lets it lapse too; Ada is not offered the same time again.
    tasks.run(offers_of(ben)[0].expires_at + dt.timedelta(minutes=1))
    assert len(offers_of(ada)) == 1 and len(offers_of(ben)) == 1
    # The time is free for everyone again.
    free = availability.available_starts(office, anmeldung(office), FIRST, later)
    assert booked[1].start_at in free


def test_claim_books_the_offered_time(scarce_office, now):
    office, booked = scarce_office
    ada = join(office, now, "Ada", 1)
    operations.cancel(booked[0], now)
    (offer,) = offers_of(ada)
    appointment = offers.claim(offer, "Ada Lovelace", now + dt.timedelta(minutes=5))
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.citizen_email == "ada@example.org"
    assert offer.status == OfferStatus.CLAIMED
    assert ada.status == EntryStatus.BOOKED
    # A second click changes nothing.
    assert offers.claim(offer, "", now + dt.timedelta(minutes=6)) is appointment


def test_claim_after_expiry_is_refused(scarce_office, now):
    office, booked = scarce_office
    ada = join(office, now, "Ada", 1)
    operations.cancel(booked[0], now)
    (offer,) = offers_of(ada)
    with pytest.raises(DomainError) as refused:
        offers.claim(offer, "Ada", offer.expires_at)
    assert refused.value.code == "offer_expired"


def test_leaving_withdraws_the_offer_for_the_next(scarce_office, now):
    office, booked = scarce_office
    ada = join(office, now, "Ada", 1)
    ben = join(office, now, "Ben", 2)
    operations.cancel(booked[0], now)
    (offer,) = offers_of(ada)
    waitlist.leave(ada, now)
    assert ada.status == EntryStatus.LEFT
    assert offer.status == OfferStatus.WITHDRAWN
    assert offer.appointment.status == AppointmentStatus.CANCELLED
    assert [o.start_at for o in offers_of(ben)] == [TUESDAY_0800]


def test_cancelled_time_returns_only_after_the_cooldown(scarce_office, now):
    office, booked = scarce_office
    office.cancel_cooldown_minutes = 30
    ada = join(office, now, "Ada", 1)
    operations.cancel(booked[0], now)
    # During the cooldown nobody gets the time: not the waitlist, not a chosen buyer.
    assert offers_of(ada) == []
    with pytest.raises(DomainError):
        operations.hold(office, anmeldung(office), TUESDAY_0800, now + dt.timedelta(minutes=29))
    assert TUESDAY_0800 not in availability.available_starts(
        office, anmeldung(office), FIRST, now + dt.timedelta(minutes=29)
    )
    # After it, the job offers it to the waitlist first.
    tasks.run(now + dt.timedelta(minutes=31))
    assert [o.start_at for o in offers_of(ada)] == [TUESDAY_0800]


def test_rebooked_time_returns_only_after_the_cooldown(scarce_office, now):
    office, booked = scarce_office
    operations.cancel(booked[3], now)  # Wednesday 08:10 is free; nobody waits yet
    office.cancel_cooldown_minutes = 30
    ada = waitlist.register(
        office, anmeldung(office), FIRST, FIRST, "Ada", "ada@example.org", "de", now
    )
    waitlist.confirm_entry(ada, now)  # Tuesday only: nothing free there
    operations.rebook(booked[0], booked[3].start_at, now)  # Tuesday 08:00 -> Wednesday 08:10
    # During the cooldown nobody gets the old time: not the waitlist, not a chosen buyer.
    assert offers_of(ada) == []
    with pytest.raises(DomainError):
        operations.hold(office, anmeldung(office), TUESDAY_0800, now + dt.timedelta(minutes=29))
    tasks.run(now + dt.timedelta(minutes=31))
    assert [o.start_at for o in offers_of(ada)] == [TUESDAY_0800]


def test_newly_released_day_is_offered_by_the_job(scarce_office, now):
    office, _booked = scarce_office
    entry = waitlist.register(
        office, anmeldung(office), FIRST, dt.date(2026, 1, 16), "Ada", "ada@example.org", "de", now
    )
    waitlist.confirm_entry(entry, now)
    assert offers_of(entry) == []
    office.release_time = dt.time(10, 0)  # Thursday 15 becomes bookable at 10:00 on Tuesday
    tuesday_0959 = dt.datetime(2026, 1, 13, 8, 59, tzinfo=dt.UTC)
    tasks.run(tuesday_0959)
    assert offers_of(entry) == []
    tasks.run(tuesday_0959 + dt.timedelta(minutes=2))
    (offer,) = offers_of(entry)
    assert offer.start_at == dt.datetime(2026, 1, 15, 7, 0, tzinfo=dt.UTC)


def test_offer_appointment_is_not_counted_as_someone_elses_hold(scarce_office, now):
    office, booked = scarce_office
    join(office, now, "Ada", 1)
    operations.cancel(booked[0], now)
    held = db.session.scalars(
        sa.select(Appointment).where(Appointment.status == AppointmentStatus.HELD)
    ).all()
    assert len(held) == 1
