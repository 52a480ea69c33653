"""Personal data outside the appointment table: mails in the outbox (recipient, and a payload
with the name and links), waitlist entries (name, email) and the keyed IP hashes of holds.
The tables belong to other packages; the retention rules for them live here, with the rest
of data protection, and are registered with `privacy.register` when those packages exist.

A queued mail about an appointment that ended before the retention cutoff is not worth
sending any more: it is blanked and marked failed rather than kept with an address in it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking import schedule_cache
from terminvergabe.booking.models import Appointment
from terminvergabe.db import db

ANONYMISED = "anonymised after the retention period"


def _outbox():
    try:
        from terminvergabe.notify.models import OutboxMessage
    except ImportError:
        return None
    return OutboxMessage


def _waitlist():
    try:
        from terminvergabe.fairness.models import WaitlistEntry
    except ImportError:
        return None
    return WaitlistEntry


def _blank_outbox(model, condition) -> int:
    result = db.session.execute(
        sa.update(model)
        .where(condition, sa.or_(model.recipient != "", model.status == "queued"))
        .values(
            recipient="",
            payload={},
            status=sa.case((model.status == "queued", "failed"), else_=model.status),
            last_error=sa.case((model.status == "queued", ANONYMISED), else_=model.last_error),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def anonymise_outbox(cutoff: dt.datetime, now: dt.datetime) -> int:
    model = _outbox()
    if model is None:
        return 0
    old_appointments = sa.select(Appointment.id).where(Appointment.end_at < cutoff)
    condition = sa.or_(
        model.appointment_id.in_(old_appointments),
        sa.and_(model.appointment_id.is_(None), model.created_at < cutoff),
    )
    return _blank_outbox(model, condition)


def erase_outbox(email: str, office_id: int | None) -> int:
    model = _outbox()
    if model is None:
        return 0
    condition = sa.func.lower(model.recipient) == email
    if office_id is not None:
        condition = sa.and_(
            condition,
            sa.or_(
                model.appointment_id.is_(None),
                model.appointment_id.in_(
                    sa.select(Appointment.id).where(Appointment.office_id == office_id)
                ),
            ),
        )
    return _blank_outbox(model, condition)


def anonymise_waitlist(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Entries whose date range ended before the cutoff (the citizen's wish is over)."""
    model = _waitlist()
    if model is None:
        return 0
    result = db.session.execute(
        sa.update(model)
        .where(
            model.last_day < cutoff.date(),
            sa.or_(model.citizen_name != "", model.citizen_email != ""),
        )
        .values(citizen_name="", citizen_email="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def erase_waitlist(email: str, office_id: int | None) -> int:
    model = _waitlist()
    if model is None:
        return 0
    condition = sa.func.lower(model.citizen_email) == email
    if office_id is not None:
        condition = sa.and_(condition, model.office_id == office_id)
    result = db.session.execute(
        sa.update(model)
        .where(condition)
        .values(citizen_name="", citizen_email="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _hold_clients():
    try:
        from terminvergabe.fairness.models import HoldClient
    except ImportError:
        return None
    return HoldClient


def forget_hold_clients(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Keyed hashes of the client's IP address are pseudonymous personal data: once the
    appointment is past the retention period, nothing needs them."""
    model = _hold_clients()
    if model is None:
        return 0
    result = db.session.execute(
        sa.delete(model)
        .where(
            model.appointment_id.in_(sa.select(Appointment.id).where(Appointment.end_at < cutoff))
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def register_known_tables() -> None:
    from terminvergabe.admin import privacy

    privacy.register(anonymise_outbox, eraser=erase_outbox)
    privacy.register(anonymise_waitlist, eraser=erase_waitlist)
    privacy.register(forget_hold_clients)
    privacy.register(schedule_cache.forget_old_changes)
