"""The audit log: who did what to which appointment, and when."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from terminvergabe.booking.models import Appointment, StaffMember
from terminvergabe.db import UTCDateTime, db


class AuditEntry(db.Model):
    """One staff action. `details` holds facts about the action (old and new times, a reason),
    never a citizen's personal data: the entry outlives the anonymisation of the appointment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The staff member; None for the system (scheduled jobs) or a deleted account.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    # Kept as text so the log still says who it was after the account is gone.
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    action: Mapped[str] = mapped_column(sa.String(50))
    office_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("office.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[StaffMember | None] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
