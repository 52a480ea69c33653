"""Scheduled jobs. Each takes the clock, commits its own work, and is safe to run twice or in
two processes at once: the outbox claims rows, reminders are unique per appointment and time,
expiry changes only what has lapsed."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.db import db
from terminvergabe.notify import sender
from terminvergabe.notify.models import MailKind, OutboxMessage, OutboxStatus
from terminvergabe.notify.outbox import enqueue


def send_outbox(now: dt.datetime) -> int:
    """Send every due message, batch after batch, until none is left or the server fails."""
    sent = 0
    while True:
        report = sender.send_due(lambda: now)
        sent += report.sent
        if report.sent == 0 or report.retried or report.failed:
            return sent


def reminder_lead() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config.get("REMINDER_LEAD_HOURS", 24))


def reminder_key(appointment: Appointment) -> str:
    """One reminder per appointment and start time: a rebooked appointment is reminded of its
    new time, and no appointment twice of the same time."""
    return f"reminder:{appointment.id}:{appointment.start_at.isoformat()}"


def queue_reminders(now: dt.datetime) -> int:
    lead = reminder_lead()
    due = db.session.scalars(
        sa.select(Appointment).where(
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.start_at > now,
            Appointment.start_at <= now + lead,
            Appointment.citizen_email != "",
        )
    ).all()
    queued = _queued_keys([a.id for a in due])
    count = 0
    for appointment in due:
        if reminder_key(appointment) in queued or _booked_within_lead(appointment, lead):
            continue
        count += enqueue(MailKind.REMINDER, appointment, now, reminder_key(appointment)) is not None
    db.session.commit()
    return count


def _queued_keys(appointment_ids: list[int]) -> set[str]:
    if not appointment_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(OutboxMessage.dedupe_key).where(
                OutboxMessage.kind == MailKind.REMINDER,
                OutboxMessage.appointment_id.in_(appointment_ids),
            )
        )
    )


def _booked_within_lead(appointment: Appointment, lead: dt.timedelta) -> bool:
    """Booked shortly before it starts: the confirmation is fresh, a reminder would be noise."""
    confirmed = appointment.confirmed_at
    return confirmed is not None and appointment.start_at - confirmed < lead


def expire_lapsed(now: dt.datetime) -> int:
    count = operations.expire_lapsed(now)
    db.session.commit()
    return count


def purge_sent(now: dt.datetime) -> int:
    """Sent mails hold personal data; keep them only as long as configured."""
    days = current_app.config.get("MAIL_KEEP_SENT_DAYS", 30)
    result = db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at < now - dt.timedelta(days=days),
        )
    )
    db.session.commit()
    return result.rowcount
