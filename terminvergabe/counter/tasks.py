"""Scheduled job: close the office day.

An appointment that was booked but never checked in stays "confirmed" for ever unless someone
marks it; tickets left waiting, called or in service when the day ends stay open. `close_day`
settles both, per office in the office's own time zone, through the counter's transitions. It
is idempotent (it changes only what is still open) and safe in two processes at once: rows are
locked and skipped when another run holds them (PostgreSQL; SQLite runs one writer anyway).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, AppointmentStatus, Office, OpeningHours
from terminvergabe.counter import operations as ops
from terminvergabe.counter.models import OPEN_STATUSES, QueueSettings, Ticket
from terminvergabe.db import db
from terminvergabe.time import local_date, local_midnight, local_to_utc

BATCH = 500


def closing_at(office: Office, day: dt.date) -> dt.datetime:
    """When the office closes on `day`: the end of its last opening hours that day, else (no
    hours that weekday, e.g. extra shifts only) the end of the local day."""
    ends = db.session.scalars(
        sa.select(OpeningHours.end_local).where(
            OpeningHours.office_id == office.id, OpeningHours.weekday == day.weekday()
        )
    ).all()
    closing = local_to_utc(day, max(ends), office.zone) if ends else None
    return closing or local_midnight(day + dt.timedelta(days=1), office.zone)


def missed_after(appointment: Appointment, office: Office, settings: QueueSettings) -> dt.datetime:
    """The moment a not-checked-in appointment counts as missed: the office has closed that day,
    the appointment is over, and even a late check-in (tolerance) is no longer possible. A
    past day is always over."""
    day = local_date(appointment.start_at, office.zone)
    late = appointment.start_at + dt.timedelta(minutes=settings.late_minutes)
    latest = max(closing_at(office, day), appointment.end_at, late)
    return min(latest, local_midnight(day + dt.timedelta(days=1), office.zone))


def _locked(query):
    return query.with_for_update(skip_locked=True).limit(BATCH)


def mark_missed_appointments(now: dt.datetime) -> int:
    """Confirmed appointments whose citizen never came, once their office day is over."""
    candidates = db.session.scalars(
        _locked(
            sa.select(Appointment)
            .where(Appointment.status == AppointmentStatus.CONFIRMED, Appointment.start_at < now)
            .order_by(Appointment.start_at, Appointment.id)
        )
    ).all()
    by_office: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in candidates:
        by_office[appointment.office_id].append(appointment)
    count = 0
    for office_id, appointments in by_office.items():
        office = db.session.get(Office, office_id)
        settings = QueueSettings.for_office(office_id)
        for appointment in appointments:
            if now >= missed_after(appointment, office, settings):
                ops.mark_missed(appointment, now)
                count += 1
    return count


def close_open_tickets(now: dt.datetime) -> int:
    """Tickets still open from a day that is over in their office's time zone."""
    # The latest "today" of any zone bounds the query; each office's own today decides.
    latest_today = local_date(now, dt.timezone(dt.timedelta(hours=14)))
    candidates = db.session.scalars(
        _locked(
            sa.select(Ticket)
            .where(
                Ticket.status.in_([s.value for s in OPEN_STATUSES]),
                Ticket.day < latest_today,
            )
            .order_by(Ticket.day, Ticket.id)
        )
    ).all()
    count = 0
    for ticket in candidates:
        if ticket.day < local_date(now, ticket.office.zone):
            ops.close_at_day_end(ticket, now)
            count += 1
    return count


def close_day(now: dt.datetime) -> int:
    """The scheduled job: batch after batch until nothing is left; commits each batch."""
    total = 0
    while True:
        done = close_open_tickets(now) + mark_missed_appointments(now)
        db.session.commit()
        total += done
        if done == 0:
            return total
