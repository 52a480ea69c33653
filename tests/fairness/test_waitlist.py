import datetime as dt

import pytest
import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import offers, tasks, waitlist
from terminvergabe.fairness.models import EntryStatus, WaitlistOffer
from tests.fairness.conftest import TUESDAY_0800, anmeldung

FIRST, LAST = dt.date(2026, 1, 13), dt.date(2026, 1, 14)


def join(office, now, name, minutes_later=0):
    entry = waitlist.register(
        office, anmeldung(office), FIRST, LAST, name, f"{name.lower()}@example.org", "de", now
    )
    waitlist.confirm_entry(entry, now + dt.timedelta(minutes=minutes_later))
    return entry


def offers_of(entry):
    return db.session.scalars(
        sa.select(WaitlistOffer)
        .where(WaitlistOffer.entry_id == entry.id)
        .order_by(WaitlistOffer.id)
    ).all()


def test_registration_needs_the_opt_in_click(scarce_office, now, mails):
    office, booked = scarce_office
    entry = waitlist.register(
        office, anmeldung(office), FIRST, LAST, "Ada", "Ada@Example.org", "en", now
    )
    assert entry.status == EntryStatus.PENDING
    assert entry.citizen_email == "ada@example.org"
    assert [m["kind"] for m in mails] == ["confirm"]
    assert entry.token in mails[0]["link"]
    operations.cancel(booked[0], now)  # a time frees up, but the entry is not confirmed yet
    assert offers_of(entry) == []
    waitlist.confirm_entry(entry, now)
    assert entry.status == EntryStatus.ACTIVE
    # Confirming offers what is free right away.
    assert [o.start_at for o in offers_of(entry)] == [TUESDAY_0800]


def test_a_waitlist_link_with_a_nul_character_finds_nothing(scarce_office, now):
    """PostgreSQL refuses a NUL character even in a comparison: it is not looked up."""
    office, booked = scarce_office
    entry = join(office, now, "Ada")
    operations.cancel(booked[0], now)
    (offer,) = offers_of(entry)
    assert waitlist.find_entry(entry.token) is entry
    assert offers.find_offer(offer.token) is offer
    assert waitlist.find_entry(entry.token[:-1] + "\x00") is None
    assert offers.find_offer(offer.token[:-1] + "\x00") is None


def test_unconfirmed_registration_expires(scarce_office, now):
    office, _booked = scarce_office
    entry = waitlist.register(
        office, anmeldung(office), FIRST, LAST, "B", "b@example.org", "de", now
    )
    later = now + dt.timedelta(hours=49)
    tasks.run(later)
    assert entry.status == EntryStatus.EXPIRED
    with pytest.raises(DomainError) as refused:
        waitlist.confirm_entry(entry, later)
    assert refused.value.code == "waitlist_link_expired"


def test_entries_expire_after_their_date_range(scarce_office, now):
    office, _booked = scarce_office
    ada = join(office, now, "Ada", 1)
    tasks.run(dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC))
    assert ada.status == EntryStatus.EXPIRED


def test_registration_refuses_bad_input(scarce_office, now):
    office, _booked = scarce_office
    sel = anmeldung(office)
    with pytest.raises(DomainError) as refused:
        waitlist.register(office, sel, LAST, FIRST, "A", "a@example.org", "de", now)
    assert refused.value.code == "waitlist_dates"
    with pytest.raises(DomainError) as refused:
        waitlist.register(office, sel, FIRST, LAST, "A", "not an address", "de", now)
    assert refused.value.code == "email"
    for _ in range(3):
        waitlist.register(office, sel, FIRST, LAST, "A", "a@example.org", "de", now)
    with pytest.raises(DomainError) as refused:
        waitlist.register(office, sel, FIRST, LAST, "A", "a@example.org", "de", now)
    assert refused.value.code == "waitlist_cap"
