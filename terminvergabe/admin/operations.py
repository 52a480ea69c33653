"""Changing an office safely: a change that takes capacity away is saved only together with a
decision (move or cancel) for every appointment it would leave without a counter.

Like every operation these flush and never commit; the view commits once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import ngettext

from terminvergabe import audit
from terminvergabe.admin.capacity import Change, affected_appointments
from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment, Office, StaffMember
from terminvergabe.db import db
from terminvergabe.errors import DomainError

CANCEL = "cancel"


@dataclass(frozen=True)
class Resolution:
    """What to do with one affected appointment: cancel it, or move it to `start_at`."""

    action: str  # "cancel" or "move"
    start_at: dt.datetime | None = None


def cancel_by_office(
    appointment: Appointment, actor: StaffMember | None, now: dt.datetime, reason: str = ""
) -> Appointment:
    """Cancel for the office; the notify package mails the citizen (appointment_cancelled)."""
    previous = appointment.status
    operations.cancel(appointment, now, by="office", reason=reason)
    audit.record(actor, "cancel", appointment, at=now, previous_status=previous, reason=reason)
    return appointment


def move_by_office(
    appointment: Appointment, start_at: dt.datetime, actor: StaffMember | None, now: dt.datetime
) -> Appointment:
    previous = appointment.start_at
    operations.rebook(appointment, start_at, now, by="office")
    audit.record(
        actor, "rebook", appointment, at=now, previous_start_at=previous, start_at=start_at
    )
    return appointment


def apply_change(
    office: Office,
    change: Change,
    resolutions: Mapping[int, Resolution],
    actor: StaffMember | None,
    now: dt.datetime,
    reason: str = "",
) -> None:
    """Apply `change`, then cancel and move as decided; refuse if any appointment would still be
    left without capacity (the schedule may have changed since the manager looked)."""
    before = {a.id for a in affected_appointments(office, now)}
    change()
    db.session.flush()
    # Cancellations first: they free time that a move may want.
    ordered = sorted(resolutions.items(), key=lambda item: item[1].action != CANCEL)
    for appointment_id, resolution in ordered:
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None or appointment.office_id != office.id:
            continue
        if resolution.action == CANCEL:
            cancel_by_office(appointment, actor, now, reason)
        else:
            move_by_office(appointment, resolution.start_at, actor, now)
    db.session.flush()
    left = [a for a in affected_appointments(office, now) if a.id not in before]
    if left:
        raise DomainError(
            "capacity_removed",
            ngettext(
                "This change would leave %(count)d booked appointment without a counter. "
                "Please decide whether to move or cancel it.",
                "This change would leave %(count)d booked appointments without a counter. "
                "Please decide for each of them whether to move or cancel it.",
                len(left),
                count=len(left),
            ),
            status=409,
            appointments=[a.id for a in left],
        )


# -- settings --------------------------------------------------------------------------------


def save_row(
    row,
    values: Mapping,
    actor: StaffMember | None,
    action: str,
    office_id: int,
    now: dt.datetime | None = None,
    hidden: tuple[str, ...] = (),
    **facts,
):
    """Set `values` on `row` (a new or a stored setting of the office) and write the audit
    entry with the old and new value of each field that changed (of `hidden` fields only that
    they changed)."""
    before = audit.snapshot(row, values)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.add(row)
    db.session.flush()
    changed = audit.changes(before, audit.snapshot(row, values), hidden)
    audit.record(actor, action, at=now, office_id=office_id, **facts, **changed)
    return row


def delete_row(
    row,
    fields,
    actor: StaffMember | None,
    action: str,
    office_id: int,
    now: dt.datetime | None = None,
):
    """Remove a setting of the office; the audit entry keeps what it was."""
    gone = audit.changes(audit.snapshot(row, fields), {})
    audit.record(actor, action, at=now, office_id=office_id, **gone)
    db.session.delete(row)
