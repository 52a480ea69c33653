"""Which booked appointments lose the capacity they stand on.

An appointment stands on its counter: the counter must be open, staffed by people who can do
every service of the appointment, for the whole of its time. After a change (a closure, a
shorter or removed shift, a removed skill, an absence) we ask the same question the slot engine
asks of a new booking, through the same code (`schedules.counter_days` and
`slots.free_windows`), for every future active appointment.

`preview(office, change, now)` runs a change inside a savepoint, lists what it would break, and
rolls it back: the manager sees the affected appointments before anything is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from terminvergabe.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    Office,
)
from terminvergabe.booking.schedules import counter_days
from terminvergabe.booking.slots import CounterDay, free_windows
from terminvergabe.db import db
from terminvergabe.time import local_date

Change = Callable[[], object]


def future_appointments(office: Office, now: dt.datetime) -> list[Appointment]:
    """Active appointments (held, pending, confirmed) that have not started yet."""
    return db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.office_id == office.id,
            Appointment.status.in_(list(ACTIVE_STATUSES)),
            Appointment.start_at > now,
        )
        .options(selectinload(Appointment.items))
        .order_by(Appointment.start_at, Appointment.id)
    ).all()


def is_covered(appointment: Appointment, days: dict[dt.date, list[CounterDay]], zone) -> bool:
    """Whether the appointment's counter is staffed and skilled for all of its time."""
    day = local_date(appointment.start_at, zone)
    counter = next((c for c in days.get(day, ()) if c.counter_id == appointment.counter_id), None)
    if counter is None:
        return False
    services = frozenset(appointment.selection)
    # Busy times are left out on purpose: the appointment's own claims are busy time.
    capable = free_windows(CounterDay(counter.counter_id, counter.staffed, ()), services)
    return any(lo <= appointment.start_at and appointment.end_at <= hi for lo, hi in capable)


def affected_appointments(office: Office, now: dt.datetime) -> list[Appointment]:
    """Future active appointments that the office's current schedule no longer carries."""
    appointments = future_appointments(office, now)
    if not appointments:
        return []
    zone = office.zone
    first = local_date(appointments[0].start_at, zone)
    last = max(local_date(a.start_at, zone) for a in appointments)
    days = counter_days(office, first, last, now)
    return [a for a in appointments if not is_covered(a, days, zone)]


def alternatives(office: Office, appointment: Appointment, now: dt.datetime) -> list[dt.datetime]:
    """Free times to move an affected appointment to, on the schedule as it is in the session
    (call inside the savepoint of a change). Empty when it cannot be moved online."""
    from terminvergabe.booking import availability
    from terminvergabe.errors import DomainError

    if not appointment.can_office_rebook(now):
        return []
    try:
        return availability.nearest_alternatives(
            office, appointment.selection, appointment.start_at, now, appointment.id
        )
    except DomainError:  # e.g. an internal service the citizen search does not offer
        return []


@dataclass(frozen=True)
class Impact:
    """What a change would break, with a few times each affected appointment could move to."""

    appointments: list[Appointment]
    options: dict[int, list[dt.datetime]]

    @property
    def safe(self) -> bool:
        return not self.appointments


def impact(office: Office, change: Change, now: dt.datetime, with_options: bool = True) -> Impact:
    """Apply `change` in a savepoint, collect the appointments it would break and (unless
    with_options is False) a few free times on the changed schedule for each, roll back."""
    before = {a.id for a in affected_appointments(office, now)}
    nested = db.session.begin_nested()
    try:
        change()
        db.session.flush()
        hit = [a for a in affected_appointments(office, now) if a.id not in before]
        options = {a.id: alternatives(office, a, now) for a in hit} if with_options else {}
        ids = [a.id for a in hit]
    finally:
        nested.rollback()
    appointments = [db.session.get(Appointment, i) for i in ids]
    return Impact(appointments, options)


@dataclass(frozen=True)
class Preview:
    affected_ids: list[int]

    @property
    def safe(self) -> bool:
        return not self.affected_ids


def preview(office: Office, change: Change, now: dt.datetime) -> Preview:
    """Which appointments `change` would break, without saving it."""
    found = impact(office, change, now, with_options=False)
    return Preview([a.id for a in found.appointments])
