"""Tables of fair access: per-office settings, spent proof-of-work challenges, who holds which
time, and the waitlist with its offers.

The waitlist's exclusivity lives in the database: an offered time is a held appointment (so the
capacity invariant of SlotClaim keeps everyone else off it), an entry has at most one open offer
(partial unique index), and an entry is never offered the same start twice (unique constraint).
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from terminvergabe.booking.models import Appointment, Office
from terminvergabe.db import UTCDateTime, db


class FairnessSetting(db.Model):
    """Per-office switches; an office without a row follows the app configuration."""

    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("office.id", ondelete="CASCADE"), primary_key=True
    )
    altcha_required: Mapped[bool] = mapped_column(default=True)
    max_open_holds: Mapped[int | None] = mapped_column()

    office: Mapped[Office] = relationship()


class SpentChallenge(db.Model):
    """An ALTCHA challenge that was solved once. Kept until it expires, so that the same solution
    cannot be sent twice; the primary key refuses the replay even between racing requests."""

    signature: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class HoldClient(db.Model):
    """Which client (a keyed hash of the IP address, and of the browser session where there is
    one) made a hold, to cap the open holds per client. No address is stored in the clear."""

    appointment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True
    )
    ip_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    session_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class EntryStatus(enum.StrEnum):
    PENDING = "pending"  # awaits the citizen's click in the first mail (double opt-in)
    ACTIVE = "active"
    BOOKED = "booked"
    LEFT = "left"
    EXPIRED = "expired"


class WaitlistEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    selection: Mapped[str] = mapped_column(sa.String(200))  # "12:2,15:1" (params format)
    first_day: Mapped[dt.date] = mapped_column(sa.Date)
    last_day: Mapped[dt.date] = mapped_column(sa.Date)
    citizen_name: Mapped[str] = mapped_column(sa.String(200), default="")
    citizen_email: Mapped[str] = mapped_column(sa.String(254), index=True)
    locale: Mapped[str] = mapped_column(sa.String(10), default="de")
    status: Mapped[str] = mapped_column(sa.String(10), default=EntryStatus.PENDING)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opt_in_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Registration order: the time of the opt-in click (then the id, for equal times).
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office] = relationship()
    offers: Mapped[list[WaitlistOffer]] = relationship(
        back_populates="entry", order_by="WaitlistOffer.id"
    )

    __table_args__ = (
        sa.CheckConstraint("first_day <= last_day", name="order"),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'booked', 'left', 'expired')", name="status"
        ),
        sa.Index("ix_waitlist_entry_office_status_order", "office_id", "status", "confirmed_at"),
    )


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"  # the citizen left the waitlist, or the hold was cancelled


class WaitlistOffer(db.Model):
    """A free time offered to one waitlisted citizen, held for them until `expires_at`."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("waitlist_entry.id", ondelete="CASCADE"))
    appointment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="CASCADE"), unique=True
    )
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(10), default=OfferStatus.OPEN)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    entry: Mapped[WaitlistEntry] = relationship(back_populates="offers")
    appointment: Mapped[Appointment] = relationship()

    __table_args__ = (
        # Nobody is offered the same time twice.
        sa.UniqueConstraint("entry_id", "start_at"),
        # One offer at a time per citizen.
        sa.Index(
            "uq_waitlist_offer_open_entry",
            "entry_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
        sa.CheckConstraint("status IN ('open', 'claimed', 'lapsed', 'withdrawn')", name="status"),
    )

    def is_open(self, now: dt.datetime) -> bool:
        return self.status == OfferStatus.OPEN and now < self.expires_at
