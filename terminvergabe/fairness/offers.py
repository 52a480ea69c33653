"""Waitlist offers: a freed time is offered to the first waiting citizen it suits, in
registration order; one click claims it while the offer lasts; an offer lapses or is withdrawn.

An offer is a held appointment made for the citizen (operations.hold with the offer's duration),
so nobody else can take the time meanwhile; the database refuses a second open offer per entry
and a second offer of the same start to the same entry. Offering is serialised per office with a
transaction lock, so concurrent releases offer their times to different citizens, in order.
Every function takes `now`, flushes and never commits.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from terminvergabe.booking import availability, municipalities, operations, signals
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office
from terminvergabe.booking.schedules import booking_window
from terminvergabe.db import db, find_by_secret, lock_key, lock_row
from terminvergabe.errors import DomainError
from terminvergabe.fairness import mail
from terminvergabe.fairness.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from terminvergabe.params import parse_selection
from terminvergabe.time import local_date


def find_offer(token: str) -> WaitlistOffer | None:
    offer = find_by_secret(WaitlistOffer.token, token)
    if offer is None or not municipalities.shown_here(offer.entry.office.municipality_id):
        return None
    return offer


def open_offer(entry: WaitlistEntry) -> WaitlistOffer | None:
    return db.session.scalar(
        sa.select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OfferStatus.OPEN
        )
    )


def link(endpoint: str, token: str) -> str:
    """The absolute link of a waitlist page, for a mail."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for(endpoint, token=token, _external=False)


def _queue(office: Office, day: dt.date | None = None):
    """Active entries of an office in registration order, without an open offer."""
    has_open = (
        sa.select(WaitlistOffer.id)
        .where(WaitlistOffer.entry_id == WaitlistEntry.id, WaitlistOffer.status == "open")
        .exists()
    )
    query = sa.select(WaitlistEntry).where(
        WaitlistEntry.office_id == office.id,
        WaitlistEntry.status == EntryStatus.ACTIVE,
        ~has_open,
    )
    if day is not None:
        query = query.where(WaitlistEntry.first_day <= day, WaitlistEntry.last_day >= day)
    return db.session.scalars(query.order_by(WaitlistEntry.confirmed_at, WaitlistEntry.id)).all()


def _offered_starts(entry: WaitlistEntry) -> set[dt.datetime]:
    return set(
        db.session.scalars(
            sa.select(WaitlistOffer.start_at).where(WaitlistOffer.entry_id == entry.id)
        )
    )


def has_waiting(office_id: int) -> bool:
    return bool(
        db.session.scalar(
            sa.select(WaitlistEntry.id)
            .where(WaitlistEntry.office_id == office_id, WaitlistEntry.status == EntryStatus.ACTIVE)
            .limit(1)
        )
    )


def offer_time(office: Office, start_at: dt.datetime, now: dt.datetime) -> WaitlistOffer | None:
    """A time was freed: offer it to the first waitlisted citizen whose services fit there."""
    lock_key(f"waitlist:{office.id}")
    day = local_date(start_at, office.zone)
    for entry in _queue(office, day):
        if start_at in _offered_starts(entry):
            continue
        selection = parse_selection(entry.selection)
        if start_at not in availability.available_starts(office, selection, day, now):
            continue
        offer = _make_offer(entry, start_at, now)
        if offer is not None:
            return offer
    return None


def offer_free_times(now: dt.datetime, office: Office | None = None) -> int:
    """Offer each waiting citizen (in order) the earliest free time in their range. Catches
    what no signal announces: a cooldown that ran out, a newly released day, a hold that
    lapsed without being expired."""
    offices = [office] if office is not None else _offices_with_waiting()
    made = 0
    for each in offices:
        lock_key(f"waitlist:{each.id}")
        # Free days per selection, computed once until an offer changes what is free: a long
        # waitlist for a fully booked office costs one search per kind of request, not per entry.
        free_days: dict[str, list[dt.date]] = {}
        for entry in _queue(each):
            if entry.selection not in free_days:
                free_days[entry.selection] = availability.available_days(
                    each, parse_selection(entry.selection), now
                )
            start_at = _first_free_start(entry, free_days[entry.selection], now)
            if start_at is not None and _make_offer(entry, start_at, now) is not None:
                made += 1
                free_days.clear()
    return made


def _offices_with_waiting() -> list[Office]:
    ids = sa.select(WaitlistEntry.office_id).where(WaitlistEntry.status == EntryStatus.ACTIVE)
    return list(db.session.scalars(sa.select(Office).where(Office.id.in_(ids)).order_by(Office.id)))


def _first_free_start(
    entry: WaitlistEntry, free_days: list[dt.date], now: dt.datetime
) -> dt.datetime | None:
    office = entry.office
    window = booking_window(office, now)
    first = max(entry.first_day, window.first_day)
    last = min(entry.last_day, window.last_day)
    selection = parse_selection(entry.selection)
    offered = None
    for day in free_days:
        if first <= day <= last:
            offered = _offered_starts(entry) if offered is None else offered
            starts = availability.available_starts(office, selection, day, now)
            free = sorted(s for s in starts if s not in offered)
            if free:
                return free[0]
    return None


def _make_offer(entry: WaitlistEntry, start_at: dt.datetime, now: dt.datetime):
    """Hold the time for the citizen and record the offer, both or neither. None when the time
    or the entry was taken meanwhile (the database decides)."""
    office = entry.office
    minutes = current_app.config["WAITLIST_OFFER_MINUTES"]
    try:
        with db.session.begin_nested():
            appointment = operations.hold(
                office,
                parse_selection(entry.selection),
                start_at,
                now,
                locale=entry.locale,
                hold_minutes=minutes,
            )
            offer = WaitlistOffer(
                entry=entry,
                appointment=appointment,
                start_at=start_at,
                status=OfferStatus.OPEN,
                token=secrets.token_urlsafe(24),
                created_at=now,
                expires_at=appointment.hold_expires_at,
            )
            db.session.add(offer)
            db.session.flush()
    except (DomainError, IntegrityError):
        return None
    signals.waitlist_offer_made.send(appointment, expires_at=offer.expires_at)
    mail.send(
        "offer",
        entry.citizen_email,
        entry.locale,
        link("waitlist.offer", offer.token),
        entry=entry,
        offer=offer,
        office=office,
        minutes=minutes,
        leave_link=link("waitlist.leave", entry.token),
    )
    return offer


def claim(offer: WaitlistOffer, name: str, now: dt.datetime) -> Appointment:
    """One click books the offered time for the citizen. A second click shows the booking."""
    offer = lock_row(WaitlistOffer, offer.id)
    appointment = lock_row(Appointment, offer.appointment_id)
    if offer.status == OfferStatus.CLAIMED:
        return appointment
    if not offer.is_open(now):
        raise DomainError(
            "offer_expired",
            _("This offer has expired and the time was offered to the next person waiting."),
            status=410,
        )
    entry = offer.entry
    operations.confirm(appointment, name or entry.citizen_name, entry.citizen_email, "", now)
    _end_offer(offer, OfferStatus.CLAIMED, now)
    return appointment


def _end_offer(offer: WaitlistOffer, status: OfferStatus, now: dt.datetime) -> None:
    if offer.status != OfferStatus.OPEN:
        return
    offer.status = status
    offer.ended_at = now
    if status == OfferStatus.CLAIMED:
        offer.entry.status = EntryStatus.BOOKED
        offer.entry.ended_at = now
    db.session.flush()


def expire_offers(now: dt.datetime) -> int:
    """Open offers whose time ran out lapse; their hold expires and the freed time goes to the
    next citizen in line (through time_released)."""
    lapsed = db.session.scalars(
        sa.select(WaitlistOffer.id).where(
            WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at <= now
        )
    ).all()
    count = 0
    for offer_id in lapsed:
        offer = lock_row(WaitlistOffer, offer_id)
        appointment = lock_row(Appointment, offer.appointment_id)
        if offer.status != OfferStatus.OPEN:
            continue
        _end_offer(offer, OfferStatus.LAPSED, now)
        operations.expire(appointment, now)
        count += 1
    return count


def withdraw(entry: WaitlistEntry, now: dt.datetime) -> None:
    """The entry ended: its open offer is withdrawn and the held time goes to the next citizen."""
    offer = open_offer(entry)
    if offer is None:
        return
    _end_offer(offer, OfferStatus.WITHDRAWN, now)
    if offer.appointment.status == AppointmentStatus.HELD:
        operations.cancel(offer.appointment, now)  # releases the time: next in line


def on_time_released(office: Office, counter_id, start_at, end_at, **_kwargs) -> None:
    from terminvergabe.time import now

    if has_waiting(office.id):
        offer_time(office, start_at, now())


def _offer_of(appointment: Appointment) -> WaitlistOffer | None:
    return db.session.scalar(
        sa.select(WaitlistOffer).where(
            WaitlistOffer.appointment_id == appointment.id,
            WaitlistOffer.status == OfferStatus.OPEN,
        )
    )


def on_appointment_ended(appointment: Appointment, **_kwargs) -> None:
    """A held offer that expired or was cancelled by another path ends its offer first, so
    that the release that follows goes to the next citizen."""
    offer = _offer_of(appointment)
    if offer is not None:
        status = (
            OfferStatus.LAPSED
            if appointment.status == AppointmentStatus.EXPIRED
            else OfferStatus.WITHDRAWN
        )
        _end_offer(offer, status, appointment.cancelled_at or offer.expires_at)


def on_appointment_confirmed(appointment: Appointment, **_kwargs) -> None:
    offer = _offer_of(appointment)
    if offer is not None:
        _end_offer(offer, OfferStatus.CLAIMED, appointment.confirmed_at)
