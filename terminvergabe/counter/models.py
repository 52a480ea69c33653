"""Tickets, calls and the queue settings of an office.

Invariant 3 (one ticket is called to at most one counter at a time) is kept by the database:
a ticket is taken by a compare-and-set UPDATE ... WHERE status = 'waiting' (lifecycle.take),
and a partial unique index allows one active ticket per counter.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from terminvergabe.booking.models import Appointment, Counter, Office, Service, StaffMember
from terminvergabe.db import UTCDateTime, db


class LatePolicy(enum.StrEnum):
    WALK_IN = "walk_in"  # a late citizen is served as a walk-in
    REFUSE = "refuse"  # a late citizen must book again


class QueueSettings(db.Model):
    """Per office; an office without a row uses the defaults below."""

    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("office.id", ondelete="CASCADE"), primary_key=True
    )
    early_minutes: Mapped[int] = mapped_column(default=30)  # check-in this early at most
    late_minutes: Mapped[int] = mapped_column(default=15)  # later than this: late policy
    late_policy: Mapped[str] = mapped_column(sa.String(10), default=LatePolicy.WALK_IN)
    max_calls: Mapped[int] = mapped_column(default=3)  # the next recall makes it a no-show
    # After this many appointments in a row, a waiting walk-in is called (no starvation) ...
    walk_in_every: Mapped[int] = mapped_column(default=3)
    # ... and a walk-in waiting longer than this goes before due appointments.
    walk_in_max_wait_minutes: Mapped[int] = mapped_column(default=45)

    __table_args__ = (
        sa.CheckConstraint("late_policy IN ('walk_in', 'refuse')", name="late_policy"),
        sa.CheckConstraint("max_calls >= 1 AND walk_in_every >= 1", name="positive"),
        sa.CheckConstraint("early_minutes >= 0 AND late_minutes >= 0", name="tolerance"),
    )

    @classmethod
    def for_office(cls, office_id: int) -> QueueSettings:
        settings = db.session.get(cls, office_id)
        if settings is None:
            settings = cls(office_id=office_id)
            for column in cls.__table__.columns:
                if getattr(settings, column.key) is None and column.default is not None:
                    setattr(settings, column.key, column.default.arg)
        return settings


class TicketKind(enum.StrEnum):
    APPOINTMENT = "appointment"
    WALK_IN = "walk_in"


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    IN_SERVICE = "in_service"
    PARKED = "parked"  # e.g. fetching a document; returns to the queue at its old place
    DONE = "done"
    NO_SHOW = "no_show"
    # Still waiting or parked when the office day ended: the citizen came but was not served
    # (not a no-show). Written only by the end-of-day job.
    CLOSED = "closed"


ACTIVE_AT_COUNTER = (TicketStatus.CALLED, TicketStatus.IN_SERVICE)
OPEN_STATUSES = (
    TicketStatus.WAITING,
    TicketStatus.CALLED,
    TicketStatus.IN_SERVICE,
    TicketStatus.PARKED,
)


class Ticket(db.Model):
    """A visit in today's queue: a checked-in appointment or a walk-in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(sa.Date)  # the office's local date
    prefix: Mapped[str] = mapped_column(sa.String(3))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(12))  # written by counter/lifecycle.py only
    priority: Mapped[bool] = mapped_column(default=False)
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="SET NULL"), unique=True
    )
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("service.id"))
    # Only this counter may call the ticket (after a transfer to a counter).
    target_counter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("counter.id", ondelete="SET NULL")
    )
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counter.id", ondelete="SET NULL"))
    staff_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    # Secret of the citizen's phone status page (never the id: invariant 5).
    status_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    locale: Mapped[str] = mapped_column(sa.String(10), default="de")
    arrived_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # appointment start or arrival
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # place in line; kept on park
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    call_count: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id])
    target_counter: Mapped[Counter | None] = relationship(foreign_keys=[target_counter_id])
    staff_member: Mapped[StaffMember | None] = relationship()
    services_done: Mapped[list[TicketService]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("office_id", "day", "prefix", "number"),
        sa.CheckConstraint("kind IN ('appointment', 'walk_in')", name="kind"),
        sa.CheckConstraint(
            "status IN ('waiting', 'called', 'in_service', 'parked', 'done', 'no_show', 'closed')",
            name="status",
        ),
        sa.CheckConstraint(
            "status NOT IN ('called', 'in_service') OR counter_id IS NOT NULL", name="at_counter"
        ),
        # One active ticket per counter: a double click on "call next" cannot call two.
        sa.Index(
            "uq_ticket_active_counter",
            "counter_id",
            unique=True,
            sqlite_where=sa.text("status IN ('called', 'in_service')"),
            postgresql_where=sa.text("status IN ('called', 'in_service')"),
        ),
        sa.Index("ix_ticket_office_day_status", "office_id", "day", "status"),
    )

    @property
    def display_number(self) -> str:
        return f"{self.prefix}-{self.number:03d}"


class Call(db.Model):
    """A ticket called to a counter at a time (each recall is a call too)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id", ondelete="CASCADE"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counter.id", ondelete="CASCADE"))
    staff_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    called_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recall: Mapped[bool] = mapped_column(default=False)

    ticket: Mapped[Ticket] = relationship()
    counter: Mapped[Counter] = relationship()

    __table_args__ = (sa.Index("ix_call_office_called_at", "office_id", "called_at"),)


class TicketService(db.Model):
    """A service actually done for a ticket, recorded when the clerk finishes."""

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("service.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(default=1)

    ticket: Mapped[Ticket] = relationship(back_populates="services_done")
    service: Mapped[Service] = relationship()

    __table_args__ = (sa.CheckConstraint("quantity >= 1", name="quantity_positive"),)
