"""The claims of appointments on counter time: invariant 1 (capacity is never exceeded).

Every held or booked appointment claims each 5-minute unit of its time on one counter; the
unique constraint on (counter, unit) lets the database refuse a second claim however many
clients race (see SlotClaim). Each function flushes and never commits.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from terminvergabe.booking.models import CLAIM_UNIT_MINUTES, Appointment, SlotClaim
from terminvergabe.db import db

UNIT = dt.timedelta(minutes=CLAIM_UNIT_MINUTES)


def units_of(start_at: dt.datetime, end_at: dt.datetime) -> list[dt.datetime]:
    units, t = [], start_at
    while t < end_at:
        units.append(t)
        t += UNIT
    return units


def claim(
    appointment: Appointment, counter_id: int, now: dt.datetime, expires_at, new: bool = False
) -> bool:
    """Claim the appointment's time on a counter; False when any unit is taken. A `new`
    appointment owns no claims yet; a moved one keeps those it has.

    Lapsed claims in the range are deleted first. The unique constraint on (counter, unit)
    decides between racing clients: only one insert of a unit can commit.
    """
    units = units_of(appointment.start_at, appointment.end_at)
    try:
        with db.session.begin_nested():
            db.session.execute(
                sa.delete(SlotClaim).where(
                    SlotClaim.counter_id == counter_id,
                    SlotClaim.start_at.in_(units),
                    SlotClaim.expires_at <= now,
                )
            )
            owned = set() if new else _owned_units(appointment, counter_id, units)
            missing = [unit for unit in units if unit not in owned]
            if missing:
                db.session.execute(
                    sa.insert(SlotClaim),
                    [
                        {
                            "counter_id": counter_id,
                            "start_at": unit,
                            "appointment_id": appointment.id,
                            "expires_at": expires_at,
                        }
                        for unit in missing
                    ],
                )
    except IntegrityError:
        return False
    return True


def _owned_units(appointment: Appointment, counter_id: int, units: list) -> set[dt.datetime]:
    return set(
        db.session.scalars(
            sa.select(SlotClaim.start_at).where(
                SlotClaim.counter_id == counter_id,
                SlotClaim.start_at.in_(units),
                SlotClaim.appointment_id == appointment.id,
            )
        )
    )


def keep(appointment: Appointment, now: dt.datetime, expires_at) -> bool:
    """Keep the appointment's live claims, with a new expiry (None: for good). False when a
    claim has lapsed or was taken over since: then the hold is gone."""
    result = db.session.execute(
        sa.update(SlotClaim)
        .where(
            SlotClaim.appointment_id == appointment.id,
            SlotClaim.counter_id == appointment.counter_id,
            sa.or_(SlotClaim.expires_at.is_(None), SlotClaim.expires_at > now),
        )
        .values(expires_at=expires_at)
    )
    return result.rowcount == len(units_of(appointment.start_at, appointment.end_at))


def release(claims, now: dt.datetime, cooldown_minutes: int) -> None:
    """Give the time of these claims back, after an optional cooldown (then each claim stays,
    owned by nobody, and lapses by itself, so that a freed time cannot be passed to a chosen
    person)."""
    if cooldown_minutes > 0:
        db.session.execute(
            sa.update(SlotClaim)
            .where(claims)
            .values(expires_at=now + dt.timedelta(minutes=cooldown_minutes), appointment_id=None)
        )
    else:
        db.session.execute(sa.delete(SlotClaim).where(claims))


def of(appointment: Appointment):
    return SlotClaim.appointment_id == appointment.id


def outside(appointment: Appointment):
    """The appointment's claims that its present time does not need (after a move)."""
    return sa.and_(
        of(appointment),
        sa.or_(
            SlotClaim.counter_id != appointment.counter_id,
            SlotClaim.start_at < appointment.start_at,
            SlotClaim.start_at >= appointment.end_at,
        ),
    )
