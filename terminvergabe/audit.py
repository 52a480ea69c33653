"""The audit log: who changed what, and when. `record(...)` is the one way to write it.

Every package calls it for every staff action on an appointment and for every change of an
office's settings, staff accounts and devices. It adds to the session and flushes with the
caller's transaction, so the entry commits with the change it describes, or not at all.

Details are facts (a ticket number, old and new values of a setting), never a citizen's personal
data (entries outlive the anonymisation of an appointment) and never a password or token: for
those the entry says `CHANGED`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from terminvergabe.db import UTCDateTime, db
from terminvergabe.time import now as clock

if TYPE_CHECKING:
    from terminvergabe.booking.models import Appointment, StaffMember

# Actors that are not a staff member, stored as the entry's actor name.
SYSTEM = "system"  # scheduled jobs
CLI = "cli"  # `flask ...` commands on the server

# The value in place of a secret that changed (a password, a device token).
CHANGED = "changed"


class AuditEntry(db.Model):
    """One action. `details` holds facts about the action (old and new values, a reason)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The staff member; None for the system, the command line, a device or a deleted account.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    # Kept as text so the log still says who it was after the account is gone.
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    action: Mapped[str] = mapped_column(sa.String(50))
    office_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("office.id", ondelete="CASCADE"), index=True
    )
    # Set for what concerns a municipality as a whole (its catalogue, offices, staff).
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[StaffMember | None] = relationship("StaffMember")
    appointment: Mapped[Appointment | None] = relationship("Appointment")


def _plain(value):
    """JSON-safe detail values: times as ISO 8601, rows by their name, enums by their value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        plain = [_plain(v) for v in value]
        return sorted(plain, key=str) if isinstance(value, set | frozenset) else plain
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, db.Model) and hasattr(value, "name"):
        return value.name
    return str(value)


def record(
    actor: StaffMember | str | None,
    action: str,
    appointment: Appointment | None = None,
    *,
    at: dt.datetime | None = None,
    office_id: int | None = None,
    municipality_id: int | None = None,
    actor_name: str | None = None,
    **details,
) -> AuditEntry:
    """Write one entry. `actor` is a staff member, or a name for another actor (`CLI`, a
    kiosk's name); None is the system, or the device named by `actor_name`."""
    if isinstance(actor, str):
        actor, actor_name = None, actor
    if actor is not None:
        actor_name = actor.name
    entry = AuditEntry(
        at=at or clock(),
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor_name or SYSTEM)[:200],
        action=action,
        office_id=office_id or (appointment.office_id if appointment is not None else None),
        municipality_id=municipality_id,
        appointment_id=appointment.id if appointment is not None else None,
        details={k: _plain(v) for k, v in details.items()},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def snapshot(row, fields: Iterable[str]) -> dict:
    """The audit-log form of some fields of a row (or of nothing, for a row not yet made)."""
    if row is None:
        return {}
    values = {name: _plain(getattr(row, name)) for name in fields}
    # a collection (the skills of a counter) in a stable order, so that only a change shows
    return {k: sorted(v, key=str) if isinstance(v, list) else v for k, v in values.items()}


def changes(before: Mapping, after: Mapping, hidden: Iterable[str] = ()) -> dict:
    """[old, new] of every field that differs between two snapshots; of a `hidden` field (a
    secret, a long text) only that it changed."""
    names = [n for n in sorted(before.keys() | after.keys()) if before.get(n) != after.get(n)]
    return {n: CHANGED if n in hidden else [before.get(n), after.get(n)] for n in names}


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
