"""Data protection: anonymise after the retention period, export or erase one citizen's data.

Personal data are the citizen's name, email address and phone number. Statistics never read
them, so anonymising changes no figure. Other packages that keep personal data of their own
(outbox rows with addresses, waitlist entries, tickets with names) register an anonymiser:

    from terminvergabe.admin import privacy
    privacy.register(anonymise_outbox)      # fn(cutoff: datetime, now: datetime) -> int

which must blank what it holds about appointments that ended before `cutoff` and, like
everything here, be idempotent. `erasers` work the same way for one email address; they run
before the appointments are blanked, so they can still find them by that address.

Free text that staff typed (a cancellation reason in the audit log) may name the citizen too:
any detail value holding the citizen's name, address or phone number is blanked with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from terminvergabe import audit
from terminvergabe.audit import AuditEntry
from terminvergabe.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    StaffMember,
)
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fields import email_key

DEFAULT_RETENTION_DAYS = 30

Anonymiser = Callable[[dt.datetime, dt.datetime], int]
Eraser = Callable[[str, int | None], int]

anonymisers: list[Anonymiser] = []
erasers: list[Eraser] = []

_BLANK = {"citizen_name": "", "citizen_email": "", "citizen_phone": ""}


def register(anonymiser: Anonymiser | None = None, *, eraser: Eraser | None = None) -> None:
    """Add another package's anonymiser (and eraser); registering twice has no effect."""
    if anonymiser is not None and anonymiser not in anonymisers:
        anonymisers.append(anonymiser)
    if eraser is not None and eraser not in erasers:
        erasers.append(eraser)


def retention_days() -> int:
    return int(current_app.config.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def _has_personal_data():
    return sa.or_(
        Appointment.citizen_name != "",
        Appointment.citizen_email != "",
        Appointment.citizen_phone != "",
    )


def anonymise(now: dt.datetime, days: int | None = None) -> int:
    """Blank the personal data of every appointment that ended more than `days` ago (default:
    the RETENTION_DAYS setting, 30). Idempotent; returns how many rows changed in all."""
    cutoff = now - dt.timedelta(days=retention_days() if days is None else days)
    old = db.session.execute(
        sa.select(*_PERSON).where(Appointment.end_at < cutoff, _has_personal_data())
    ).all()
    _scrub_audit({row[0]: row[1:] for row in old})
    result = db.session.execute(
        sa.update(Appointment)
        .where(Appointment.end_at < cutoff, _has_personal_data())
        .values(**_BLANK)
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount or 0
    for anonymiser in anonymisers:
        changed += anonymiser(cutoff, now) or 0
    db.session.flush()
    return changed


_PERSON = (
    Appointment.id,
    Appointment.citizen_name,
    Appointment.citizen_email,
    Appointment.citizen_phone,
)


def _scrub_audit(people: dict[int, tuple[str, ...]]) -> None:
    """Blank every audit detail of these appointments that holds one of their person's
    words (appointment id -> name, email, phone); the entry itself (who, what, when) stays."""
    for chunk in _chunks(list(people)):
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.appointment_id.in_(chunk))
        ).all()
        for entry in entries:
            needles = [n.casefold() for n in people[entry.appointment_id] if n and n.strip()]
            details = _without(entry.details or {}, needles)
            if details != entry.details:
                entry.details = details


def _without(value, needles: list[str]):
    if isinstance(value, str):
        return "" if any(n in value.casefold() for n in needles) else value
    if isinstance(value, list):
        return [_without(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: _without(v, needles) for k, v in value.items()}
    return value


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def job(now: dt.datetime) -> int:
    """The scheduled job (notify's scheduler passes the time): anonymise and commit."""
    changed = anonymise(now)
    db.session.commit()
    return changed


def _citizen_appointments(email: str, office_id: int | None):
    email = email_key(email)
    if not email:
        raise DomainError("no_email", _("Please enter an email address."), status=422)
    query = sa.select(Appointment).where(sa.func.lower(Appointment.citizen_email) == email)
    if office_id is not None:
        query = query.where(Appointment.office_id == office_id)
    return db.session.scalars(query.order_by(Appointment.start_at)).all()


def export(email: str, office_id: int | None = None) -> dict:
    """Everything stored about the citizen with this address (Art. 15 GDPR), as plain data."""
    appointments = _citizen_appointments(email, office_id)
    return {
        "email": email_key(email),
        "appointments": [_appointment_data(a) for a in appointments],
    }


def _appointment_data(appointment: Appointment) -> dict:
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.appointment_id == appointment.id)
        .order_by(AuditEntry.at)
    ).all()
    return {
        "booking_code": appointment.booking_code,
        "office": appointment.office.name,
        "status": appointment.status,
        "start_at": appointment.start_at.isoformat(),
        "end_at": appointment.end_at.isoformat(),
        "services": [
            {"service": item.service.name, "quantity": item.quantity} for item in appointment.items
        ],
        "name": appointment.citizen_name,
        "email": appointment.citizen_email,
        "phone": appointment.citizen_phone,
        "locale": appointment.locale,
        "created_at": appointment.created_at.isoformat(),
        "history": [{"at": e.at.isoformat(), "action": e.action} for e in entries],
    }


def erase(
    email: str, actor: StaffMember | None, now: dt.datetime, office_id: int | None = None
) -> int:
    """Blank the citizen's personal data now (Art. 17 GDPR). Upcoming bookings must be cancelled
    first, so that the cancellation mail still reaches them. Returns the appointments erased."""
    appointments = _citizen_appointments(email, office_id)
    upcoming = [
        a
        for a in appointments
        if a.status in ACTIVE_STATUSES and a.end_at > now and a.status != AppointmentStatus.HELD
    ]
    if upcoming:
        raise DomainError(
            "upcoming_appointments",
            ngettext(
                "This citizen still has %(count)d upcoming appointment. Please cancel it "
                "first, then erase the data.",
                "This citizen still has %(count)d upcoming appointments. Please cancel them "
                "first, then erase the data.",
                len(upcoming),
                count=len(upcoming),
            ),
            status=409,
        )
    for eraser in erasers:
        eraser(email_key(email), office_id)
    _scrub_audit(
        {
            a.id: (a.citizen_name, a.citizen_email, a.citizen_phone)
            for a in appointments
            if a.citizen_name or a.citizen_email or a.citizen_phone
        }
    )
    for appointment in appointments:
        for field, value in _BLANK.items():
            setattr(appointment, field, value)
        audit.record(actor, "erase", appointment, at=now)
    db.session.flush()
    return len(appointments)
