"""The outbox: every mail is a row written in the transaction of the change that causes it.

A sender job claims due rows with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so two senders
never claim the same row), sends them with no transaction open, and marks them sent only if its
claim still holds. SMTP trouble moves `next_attempt_at` back (exponential backoff); nothing is
deleted before it was sent.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from terminvergabe.db import UTCDateTime, db


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # refused for good by the mail server (e.g. unknown recipient)


class MailKind(enum.StrEnum):
    PENDING = "pending"  # double opt-in: please confirm your booking
    CONFIRMED = "confirmed"
    REMINDER = "reminder"
    REBOOKED = "rebooked"
    CANCELLED = "cancelled"  # payload["by"]: "citizen" or "office"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(10))
    # Everything needed to render the mail, as it was when the change happened.
    payload: Mapped[dict] = mapped_column(sa.JSON)
    # Same key twice (a reminder queued by two job runs) is refused by the database.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )


class SchedulerHeartbeat(db.Model):
    """When each scheduled job last finished, and in which scheduler (lease.holder_id()): a
    health check can tell whether the scheduler runs, and an operator on which host."""

    __tablename__ = "scheduler_heartbeat"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    holder: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")


class SchedulerLease(db.Model):
    """The one active scheduler among those running on several hosts (notify/lease.py)."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
