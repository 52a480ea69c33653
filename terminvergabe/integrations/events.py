"""Booking and counter signals -> webhook deliveries, in the transaction of the change: a
delivery exists exactly when the change committed (design.md, invariant 6).

Which signal is which event:
- appointment_confirmed -> appointment.booked (the citizen's details are in; a hold or an
  opt-in still awaited is not a booking yet);
- appointment_rebooked -> appointment.rebooked; appointment_cancelled -> appointment.cancelled
  (of a booked appointment only: a hold given up was never announced);
- appointment_moved by check-in, call (again on a recall), finish, no-show -> the counter's
  events;
- waitlist_offer_made -> waitlist.offer_made (the appointment is the hold kept for the offer).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from terminvergabe import time
from terminvergabe.booking import signals
from terminvergabe.booking.lifecycle import Verb
from terminvergabe.booking.models import Appointment
from terminvergabe.db import db
from terminvergabe.integrations import payload as payloads
from terminvergabe.integrations.models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)

MOVES = {
    Verb.CHECK_IN: Event.CHECKED_IN,
    Verb.CALL: Event.CALLED,
    Verb.FINISH: Event.FINISHED,
    Verb.NO_SHOW: Event.NO_SHOW,
}


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def endpoints_for(appointment: Appointment, event: str) -> list[WebhookEndpoint]:
    office = appointment.office
    found = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(
            WebhookEndpoint.municipality_id == office.municipality_id,
            WebhookEndpoint.active.is_(True),
        )
        .order_by(WebhookEndpoint.id)
    ).all()
    return [endpoint for endpoint in found if endpoint.wants(event, office.id)]


def _next_sequence(appointment_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(WebhookDelivery.sequence)).where(
            WebhookDelivery.appointment_id == appointment_id
        )
    )
    return (highest or 0) + 1


def record(event: str, appointment: Appointment, **extra) -> int:
    """One delivery per endpoint that wants the event, flushed with the change; how many."""
    endpoints = endpoints_for(appointment, event)
    if not endpoints:
        return 0
    now = time.now()
    event_id = new_event_id()
    sequence = _next_sequence(appointment.id)
    base = payloads.appointment_data(appointment, **extra)
    contact = payloads.contact_data(appointment)
    for endpoint in endpoints:
        data = payloads.for_level(base, contact, endpoint.data_level)
        data = {**data, "sequence": sequence}
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=event_id,
                event_type=event,
                payload=payloads.body(event_id, event, now, data),
                appointment_id=appointment.id,
                sequence=sequence,
                status=DeliveryStatus.QUEUED.value,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    db.session.flush()
    return len(endpoints)


def on_confirmed(appointment, **_):
    record(Event.BOOKED, appointment)


def on_rebooked(appointment, previous_start_at=None, by="citizen", **_):
    record(Event.REBOOKED, appointment, previous_start_at=previous_start_at, by=by)


def on_cancelled(appointment, by="citizen", **_):
    if appointment.confirmed_at is not None:
        record(Event.CANCELLED, appointment, by="office" if by == "office" else "citizen")


def on_moved(appointment, verb=None, **_):
    event = MOVES.get(verb)
    if event is not None:
        record(event, appointment)


def on_offer_made(appointment, expires_at=None, **_):
    record(Event.OFFER_MADE, appointment, offer_expires_at=expires_at)


def connect() -> None:
    """Module-level receivers: blinker keeps one connection however many apps are created."""
    signals.appointment_confirmed.connect(on_confirmed)
    signals.appointment_rebooked.connect(on_rebooked)
    signals.appointment_cancelled.connect(on_cancelled)
    signals.appointment_moved.connect(on_moved)
    signals.waitlist_offer_made.connect(on_offer_made)
