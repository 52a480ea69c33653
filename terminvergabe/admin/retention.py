"""Personal data outside the appointment table: mails in the outbox (recipient, and a payload
with the name and links), waitlist entries (name, email) and the keyed IP hashes of holds.
The tables belong to other packages; the retention rules for them live here, with the rest
of data protection, and are registered with `privacy.register`.

A queued mail about an appointment that ended before the retention cutoff is not worth
sending any more: the notify outbox blanks it and takes it out of the queue (`outbox.forget`)
rather than keep it with an address in it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking import schedule_cache
from terminvergabe.booking.models import Appointment
from terminvergabe.db import db
from terminvergabe.fairness.models import HoldClient, WaitlistEntry
from terminvergabe.notify import outbox
from terminvergabe.notify.models import OutboxMessage

# Recorded as the error of a queued mail that will not be sent any more (staff read it in
# `flask outbox`; the citizen never sees it).
ANONYMISED = "anonymised after the retention period"
ERASED = "erased on the citizen's request"


def anonymise_outbox(cutoff: dt.datetime, now: dt.datetime) -> int:
    old_appointments = sa.select(Appointment.id).where(Appointment.end_at < cutoff)
    condition = sa.or_(
        OutboxMessage.appointment_id.in_(old_appointments),
        sa.and_(OutboxMessage.appointment_id.is_(None), OutboxMessage.created_at < cutoff),
    )
    return outbox.forget(condition, ANONYMISED)


def _appointments_of(email: str, office_id: int | None):
    query = sa.select(Appointment.id).where(sa.func.lower(Appointment.citizen_email) == email)
    if office_id is not None:
        query = query.where(Appointment.office_id == office_id)
    return query


def erase_outbox(email: str, office_id: int | None) -> int:
    """The citizen's mails: those sent to the address, and every mail about their
    appointments (whatever address it went to)."""
    condition = sa.or_(
        sa.func.lower(OutboxMessage.recipient) == email,
        OutboxMessage.appointment_id.in_(_appointments_of(email, office_id)),
    )
    if office_id is not None:
        condition = sa.and_(
            condition,
            sa.or_(
                OutboxMessage.appointment_id.is_(None),
                OutboxMessage.appointment_id.in_(
                    sa.select(Appointment.id).where(Appointment.office_id == office_id)
                ),
            ),
        )
    return outbox.forget(condition, ERASED)


def _blank_waitlist(condition) -> int:
    result = db.session.execute(
        sa.update(WaitlistEntry)
        .where(
            condition,
            sa.or_(WaitlistEntry.citizen_name != "", WaitlistEntry.citizen_email != ""),
        )
        .values(citizen_name="", citizen_email="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def anonymise_waitlist(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Entries whose date range ended before the cutoff (the citizen's wish is over)."""
    return _blank_waitlist(WaitlistEntry.last_day < cutoff.date())


def erase_waitlist(email: str, office_id: int | None) -> int:
    condition = sa.func.lower(WaitlistEntry.citizen_email) == email
    if office_id is not None:
        condition = sa.and_(condition, WaitlistEntry.office_id == office_id)
    return _blank_waitlist(condition)


def forget_hold_clients(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Keyed hashes of the client's IP address are pseudonymous personal data: once the
    appointment is past the retention period, nothing needs them."""
    result = db.session.execute(
        sa.delete(HoldClient)
        .where(
            HoldClient.appointment_id.in_(
                sa.select(Appointment.id).where(Appointment.end_at < cutoff)
            )
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def erase_hold_clients(email: str, office_id: int | None) -> int:
    result = db.session.execute(
        sa.delete(HoldClient)
        .where(HoldClient.appointment_id.in_(_appointments_of(email, office_id)))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def register_known_tables() -> None:
    from terminvergabe.admin import privacy

    privacy.register(anonymise_outbox, eraser=erase_outbox)
    privacy.register(anonymise_waitlist, eraser=erase_waitlist)
    privacy.register(forget_hold_clients, eraser=erase_hold_clients)
    privacy.register(schedule_cache.forget_old_changes)
