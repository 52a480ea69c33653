"""Webhook endpoints and their deliveries; calendar feeds for staff members and counters.

A delivery is one event for one endpoint, written in the transaction of the change (like a
mail in the outbox) and sent later by the delivery job. Deliveries of one appointment to one
endpoint go out in the order of `sequence`: a later one waits while an earlier one is queued.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from terminvergabe.booking.models import Counter, Municipality, Office, StaffMember
from terminvergabe.db import UTCDateTime, db


class Event(enum.StrEnum):
    BOOKED = "appointment.booked"
    REBOOKED = "appointment.rebooked"
    CANCELLED = "appointment.cancelled"
    CHECKED_IN = "appointment.checked_in"
    CALLED = "appointment.called"
    FINISHED = "appointment.finished"
    NO_SHOW = "appointment.no_show"
    OFFER_MADE = "waitlist.offer_made"


class DataLevel(enum.StrEnum):
    IDS = "ids"  # ids, office, services, times, status: no personal data
    CONTACT = "contact"  # also the citizen's name, email address, phone number and booking code


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        sa.ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    # None: every office of the municipality.
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    url: Mapped[str] = mapped_column(sa.String(2000))
    # "whsec_" + base64 of 32 random bytes; the receiver needs it to check signatures, so it is
    # kept as it is (not a digest) and shown to the administrator once.
    secret: Mapped[str] = mapped_column(sa.String(100))
    events: Mapped[str] = mapped_column(sa.String(500))  # comma-separated Event values
    data_level: Mapped[str] = mapped_column(sa.String(10), default=DataLevel.IDS.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    secret_rotated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship()
    office: Mapped[Office | None] = relationship()

    __table_args__ = (sa.CheckConstraint("data_level IN ('ids', 'contact')", name="data_level"),)

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(e for e in self.events.split(",") if e)

    def wants(self, event: str, office_id: int) -> bool:
        return (
            self.active
            and event in self.event_set
            and (self.office_id is None or self.office_id == office_id)
        )


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    # The webhook-id header: the same for every attempt, so a receiver can drop duplicates.
    event_id: Mapped[str] = mapped_column(sa.String(40))
    event_type: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    # Ordering key: the appointment, and the number of its event (1, 2, ...).
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    sequence: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(10), default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")

    endpoint: Mapped[WebhookEndpoint] = relationship()

    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'delivered', 'failed')", name="status"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )


class CalendarFeed(db.Model):
    """A private iCalendar subscription of a staff member or of a counter. Only a SHA-256
    digest of its token is kept (like a device token); a new feed replaces the old one."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    counter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("counter.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    staff_member: Mapped[StaffMember | None] = relationship()
    counter: Mapped[Counter | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("(staff_member_id IS NULL) <> (counter_id IS NULL)", name="one_owner"),
    )


class FeedPolicy(db.Model):
    """Whether an office's calendar feeds carry the citizens' contact data (default: no)."""

    __tablename__ = "calendar_feed_policy"

    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("office.id", ondelete="CASCADE"), primary_key=True
    )
    contact_data: Mapped[bool] = mapped_column(default=False)
