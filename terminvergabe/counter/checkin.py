"""Arriving at the office: the front desk or the kiosk checks an appointment in, or issues a
walk-in ticket. Each takes `now` and the actor, flushes and never commits."""

from __future__ import annotations

import datetime as dt

from flask_babel import format_time
from flask_babel import gettext as _

from terminvergabe.booking import codes
from terminvergabe.booking import lifecycle as appointment_lifecycle
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Office,
    StaffMember,
)
from terminvergabe.counter import tickets, waiting
from terminvergabe.counter.models import LatePolicy, Ticket, TicketKind
from terminvergabe.db import lock_row
from terminvergabe.errors import DomainError
from terminvergabe.notify.qr import checkin_token_from_scan
from terminvergabe.time import local_date


def find_appointment(office: Office, text: str) -> Appointment | None:
    """What the front desk or kiosk received: a scanned QR credential, a raw check-in token or a
    booking code."""
    text = (text or "").strip()
    if not text:
        return None
    appointment = codes.find_by_checkin_token(checkin_token_from_scan(text) or text)
    if appointment is None:
        appointment = codes.find_by_booking_code(office, text)
    return appointment


def _refuse_unless_checkable(appointment: Appointment, office: Office, now: dt.datetime) -> None:
    if appointment.status != AppointmentStatus.CONFIRMED:
        if appointment.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.CALLED):
            raise DomainError("already_checked_in", _("This appointment is already checked in."))
        raise DomainError("not_bookable", _("This appointment is not valid (any more)."))
    if local_date(appointment.start_at, office.zone) != local_date(now, office.zone):
        raise DomainError("other_day", _("This appointment is not today."))


def _kind_on_arrival(appointment: Appointment, office: Office, now: dt.datetime) -> TicketKind:
    """Within the office's tolerance an appointment; too late, a walk-in or refused (office
    rule); too early, refused."""
    settings = waiting.settings_for(office)
    earliest = appointment.start_at - dt.timedelta(minutes=settings.early_minutes)
    latest = appointment.start_at + dt.timedelta(minutes=settings.late_minutes)
    if now < earliest:
        raise DomainError(
            "too_early",
            _("Check-in opens at %(time)s.", time=format_time(earliest, "short")),
        )
    if now <= latest:
        return TicketKind.APPOINTMENT
    if settings.late_policy == LatePolicy.REFUSE:
        raise DomainError(
            "too_late", _("This appointment has passed. Please book a new appointment.")
        )
    return TicketKind.WALK_IN


def check_in(
    office: Office,
    appointment: Appointment | None,
    now: dt.datetime,
    priority: bool = False,
    staff: StaffMember | None = None,
    actor_name: str | None = None,
) -> Ticket:
    """Check an appointment in: within the office's tolerance it joins the queue at its time;
    too late, it becomes a walk-in or is refused (office rule); too early, it is refused.
    `actor_name` names a non-staff actor for the audit log (a kiosk)."""
    if appointment is None or appointment.office_id != office.id:
        raise DomainError("not_found", _("No appointment was found for this code."), 404)
    # Read afresh under a row lock: a cancellation, or the end-of-day job marking it a no-show,
    # at the same moment runs before or after this check-in, never interleaved with it.
    lock_row(Appointment, appointment.id)
    _refuse_unless_checkable(appointment, office, now)
    kind = _kind_on_arrival(appointment, office, now)
    appointment_lifecycle.move(appointment, appointment_lifecycle.Verb.CHECK_IN, now)
    ticket = tickets.issue(
        office,
        appointment.items[0].service,
        kind,
        now,
        priority=priority,
        appointment=appointment,
        locale=appointment.locale,
    )
    late = kind == TicketKind.WALK_IN
    tickets.record(
        "check_in", ticket, staff, now, actor_name=actor_name, late=late, priority=priority
    )
    return ticket


def walk_in(
    office: Office,
    service_id: int,
    now: dt.datetime,
    priority: bool = False,
    public_only: bool = False,
    locale: str = "de",
    staff: StaffMember | None = None,
    actor_name: str | None = None,
) -> Ticket:
    offer = office.offer_of(service_id) if isinstance(service_id, int) else None
    if (
        offer is None
        or not (offer.active and offer.service.active)
        or (public_only and not offer.public)
    ):
        raise DomainError("unknown_service", _("This service is not offered here."), 422)
    service = offer.service
    ticket = tickets.issue(
        office, service, TicketKind.WALK_IN, now, priority=priority, locale=locale
    )
    tickets.record(
        "walk_in", ticket, staff, now, actor_name=actor_name, service=service.id, priority=priority
    )
    return ticket
