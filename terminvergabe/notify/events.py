"""Booking events -> outbox rows, in the transaction of the change (design.md, invariant 6).
Which queued mails a change makes obsolete is outbox.SUPERSEDES."""

from __future__ import annotations

from terminvergabe import time
from terminvergabe.booking import signals
from terminvergabe.notify.models import MailKind
from terminvergabe.notify.outbox import enqueue


def on_pending(appointment, **_):
    enqueue(MailKind.PENDING, appointment, time.now(), f"pending:{appointment.id}")


def on_confirmed(appointment, **_):
    enqueue(MailKind.CONFIRMED, appointment, time.now(), f"confirmed:{appointment.id}")


def on_rebooked(appointment, previous_start_at=None, **_):
    enqueue(
        MailKind.REBOOKED,
        appointment,
        time.now(),
        f"rebooked:{appointment.id}:{appointment.sequence}",
        previous_start_at=previous_start_at.isoformat() if previous_start_at else None,
    )


def on_cancelled(appointment, by="citizen", reason="", **_):
    # A hold cancelled before the citizen gave an address is skipped by enqueue().
    enqueue(
        MailKind.CANCELLED,
        appointment,
        time.now(),
        f"cancelled:{appointment.id}",
        by="office" if by == "office" else "citizen",
        reason=(reason or "").strip() if by == "office" else "",
    )


def connect() -> None:
    """Module-level receivers: blinker keeps one connection however many apps are created."""
    signals.appointment_pending.connect(on_pending)
    signals.appointment_confirmed.connect(on_confirmed)
    signals.appointment_rebooked.connect(on_rebooked)
    signals.appointment_cancelled.connect(on_cancelled)
