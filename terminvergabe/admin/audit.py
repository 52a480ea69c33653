"""`audit.record(actor, action, appointment, **details)`: the one way to write the audit log.

Other packages (counter, booking views) call it for every staff action on an appointment. It
adds to the session and flushes with the caller's transaction, so the entry commits with the
change it describes, or not at all.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup, escape

from terminvergabe.admin.models import AuditEntry
from terminvergabe.booking.models import Appointment, StaffMember
from terminvergabe.db import db
from terminvergabe.i18n import office_text
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
    actor_name: str | None = None,
    **details,
) -> AuditEntry:
    """Write one entry. `actor` None means the system, or the device named by `actor_name` (a
    kiosk); `details` must not hold personal data."""
    if actor is not None:
        actor_name = actor.name
    entry = AuditEntry(
        at=at or clock(),
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor_name or "system")[:200],
        action=action,
        office_id=office_id or (appointment.office_id if appointment is not None else None),
        appointment_id=appointment.id if appointment is not None else None,
        details={k: _plain(v) for k, v in details.items()},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries(
    office_id: int | None,
    limit: int = 200,
    appointment_id: int | None = None,
    actions: list[str] | None = None,
    start_at: dt.datetime | None = None,
    end_at: dt.datetime | None = None,
):
    """The newest entries, of one office (or all for None), optionally of one appointment, of
    some actions, or in a time range [start_at, end_at)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if office_id is not None:
        query = query.where(AuditEntry.office_id == office_id)
    if appointment_id is not None:
        query = query.where(AuditEntry.appointment_id == appointment_id)
    if actions:
        query = query.where(AuditEntry.action.in_(actions))
    if start_at is not None:
        query = query.where(AuditEntry.at >= start_at)
    if end_at is not None:
        query = query.where(AuditEntry.at < end_at)
    return db.session.scalars(query.limit(limit)).all()


def action_labels() -> dict[str, str]:
    """The actions the log knows, in the reader's language (the log stores the plain key)."""
    return {
        "check_in": _("Checked in"),
        "walk_in": _("Walk-in ticket issued"),
        "call": _("Called"),
        "recall": _("Called again"),
        "no_show": _("Did not appear"),
        "start": _("Service started"),
        "finish": _("Service finished"),
        "park": _("Parked"),
        "requeue": _("Back in the queue"),
        "transfer": _("Transferred"),
        "close": _("Closed at the end of the day"),
        "cancel": _("Cancelled by the office"),
        "rebook": _("Moved by the office"),
        "erase": _("Personal data erased"),
        "export": _("Personal data exported"),
        "queue_settings": _("Queue rules changed"),
    }


def action_label(action: str) -> str:
    return action_labels().get(action, action)


def describe(entry: AuditEntry) -> Markup:
    """The facts of an entry as a short line: ticket, counter, and what else it holds (counter
    names and reasons as the office typed them, marked as German)."""
    details = entry.details or {}
    parts = []
    if details.get("ticket"):
        parts.append(_("Ticket %(number)s", number=details["ticket"]))
    if details.get("counter"):
        parts.append(escape(_("at %(counter)s")) % {"counter": office_text(details["counter"])})
    if details.get("to_counter"):
        parts.append(escape(_("to %(counter)s")) % {"counter": office_text(details["to_counter"])})
    if details.get("calls"):
        parts.append(_("call %(count)d", count=details["calls"]))
    if details.get("late"):
        parts.append(_("late, as a walk-in"))
    if details.get("end_of_day"):
        parts.append(_("by the end-of-day job"))
    if details.get("reason"):
        parts.append(office_text(str(details["reason"])))
    if entry.action == "queue_settings":
        names = _queue_setting_names()
        policies = {"walk_in": _("walk-in"), "refuse": _("refused")}
        parts.extend(
            f"{names[name]}: {policies.get(old, old)} → {policies.get(new, new)}"
            for name, (old, new) in sorted(details.items())
            if name in names
        )
    return Markup(" · ").join(parts)


def _queue_setting_names() -> dict[str, str]:
    return {
        "early_minutes": _("minutes early"),
        "late_minutes": _("minutes late"),
        "late_policy": _("when later"),
        "max_calls": _("calls"),
        "walk_in_every": _("walk-in after appointments"),
        "walk_in_max_wait_minutes": _("walk-in maximum wait"),
    }
