"""`audit.record(actor, action, appointment, **details)`: the one way to write the audit log.

Other packages (counter, booking views) call it for every staff action on an appointment. It
adds to the session and flushes with the caller's transaction, so the entry commits with the
change it describes, or not at all.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from terminvergabe.admin.models import AuditEntry
from terminvergabe.booking.models import Appointment, StaffMember
from terminvergabe.db import db
from terminvergabe.time import now as clock


def _plain(value):
    """JSON-safe detail values: times as ISO 8601, everything else as is or as text."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def record(
    actor: StaffMember | None,
    action: str,
    appointment: Appointment | None = None,
    *,
    at: dt.datetime | None = None,
    office_id: int | None = None,
    **details,
) -> AuditEntry:
    """Write one entry. `actor` None means the system; `details` must not hold personal data."""
    entry = AuditEntry(
        at=at or clock(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.name if actor is not None else "system",
        action=action,
        office_id=office_id or (appointment.office_id if appointment is not None else None),
        appointment_id=appointment.id if appointment is not None else None,
        details={k: _plain(v) for k, v in details.items()},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries(office_id: int | None, limit: int = 200, appointment_id: int | None = None):
    """The newest entries, of one office (or all for None), optionally of one appointment."""
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if office_id is not None:
        query = query.where(AuditEntry.office_id == office_id)
    if appointment_id is not None:
        query = query.where(AuditEntry.appointment_id == appointment_id)
    return db.session.scalars(query.limit(limit)).all()
