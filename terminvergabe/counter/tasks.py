"""Scheduled job: close the office day.

An appointment that was booked but never checked in stays "confirmed" for ever unless someone
marks it; tickets left waiting, called or in service when the day ends stay open. `close_day`
settles both, per office in the office's own time zone, through the counter's transitions. It
is idempotent (it changes only what is still open) and safe in two processes at once: rows are
locked and skipped when another run holds them (PostgreSQL; SQLite runs one writer anyway).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, AppointmentStatus, Office, OpeningHours
from terminvergabe.counter import day_end
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


def missed_after(
    appointment: Appointment, office: Office, settings: QueueSettings, closing: dt.datetime
) -> dt.datetime:
    """The moment a not-checked-in appointment counts as missed: the office has closed that day
    (`closing`), the appointment is over, and even a late check-in (tolerance) is no longer
    possible. A past day is always over."""
    day = local_date(appointment.start_at, office.zone)
    late = appointment.start_at + dt.timedelta(minutes=settings.late_minutes)
    latest = max(closing, appointment.end_at, late)
    return min(latest, local_midnight(day + dt.timedelta(days=1), office.zone))


def _locked(query):
    """Rows another transaction holds (a check-in right now, a second run of this job) are
    skipped; the next run sees how that ended. Read afresh, not from the session's cache."""
    return (
        query.with_for_update(skip_locked=True)
        .limit(BATCH)
        .execution_options(populate_existing=True)
    )


def mark_missed_appointments(office: Office, now: dt.datetime) -> int:
    """Confirmed appointments whose citizen never came, once their office day is over."""
    today = local_date(now, office.zone)
    # Before today's closing only earlier days can hold missed appointments; the query says so,
    # so a busy morning never fills the batch with appointments that are not due yet.
    before = now if now >= closing_at(office, today) else local_midnight(today, office.zone)
    candidates = db.session.scalars(
        _locked(
            sa.select(Appointment)
            .where(
                Appointment.office_id == office.id,
                Appointment.status == AppointmentStatus.CONFIRMED,
                Appointment.start_at < before,
            )
            .order_by(Appointment.start_at, Appointment.id)
        )
    ).all()
    settings = QueueSettings.for_office(office.id)
    closings: dict[dt.date, dt.datetime] = {}  # one query per day, not per appointment
    count = 0
    for appointment in candidates:
        day = local_date(appointment.start_at, office.zone)
        if day not in closings:
            closings[day] = closing_at(office, day)
        if now >= missed_after(appointment, office, settings, closings[day]):
            day_end.mark_missed(appointment, now)
            count += 1
    return count


def close_open_tickets(office: Office, now: dt.datetime) -> int:
    """Tickets still open from a day that is over in the office's time zone."""
    tickets = db.session.scalars(
        _locked(
            sa.select(Ticket)
            .where(
                Ticket.office_id == office.id,
                Ticket.status.in_([s.value for s in OPEN_STATUSES]),
                Ticket.day < local_date(now, office.zone),
            )
            .order_by(Ticket.day, Ticket.id)
        )
    ).all()
    for ticket in tickets:
        day_end.close_at_day_end(ticket, now)
    return len(tickets)


def close_day(now: dt.datetime) -> int:
    """The scheduled job: office by office, batch after batch until nothing is left; commits
    each batch."""
    total = 0
    for office_id in db.session.scalars(sa.select(Office.id).order_by(Office.id)).all():
        while True:
            office = db.session.get(Office, office_id)
            done = close_open_tickets(office, now) + mark_missed_appointments(office, now)
            db.session.commit()
            total += done
            if done == 0:
                break
    return total
