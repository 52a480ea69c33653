"""Devices: waiting-room screens and kiosks, authorised by a revocable token (not a password).

Only a SHA-256 digest of the token is stored: the token itself has 256 bits of entropy, so a
fast hash is enough, and a database leak does not let anyone open a screen.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from terminvergabe.booking.models import Office
from terminvergabe.db import UTCDateTime, db


class DeviceKind(enum.StrEnum):
    DISPLAY = "display"  # waiting-room screen
    KIOSK = "kiosk"  # self check-in at the entrance


class Device(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("office.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office] = relationship()

    __table_args__ = (sa.CheckConstraint("kind IN ('display', 'kiosk')", name="kind"),)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def can_revoke(self) -> bool:
        return self.revoked_at is None
