"""Private calendar feeds (iCalendar, RFC 5545, METHOD:PUBLISH) for staff members and counters.

A counter's feed lists the appointments booked at that counter. A staff member's feed lists
the appointments at the counters where their shifts put them at those times (weekly patterns,
extra shifts, minus absences). Each event shows the booking code, the services and the mode;
the citizen's name, email address and phone number only where the office allows it
(FeedPolicy, default: no). Times are written in UTC, which every client reads without a
time-zone table.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from terminvergabe.booking.lifecycle import OCCUPYING_STATUSES
from terminvergabe.booking.models import (
    Appointment,
    AppointmentItem,
    Counter,
    ShiftException,
    ShiftExceptionKind,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from terminvergabe.integrations.models import CalendarFeed
from terminvergabe.integrations.operations import contact_data_allowed

PRODID = "-//terminvergabe//Terminvergabe Dienstkalender//DE"
DEFAULTS = {"FEED_WEEKS": 6, "FEED_PAST_DAYS": 7}


def window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    config = current_app.config
    return (
        now - dt.timedelta(days=config["FEED_PAST_DAYS"]),
        now + dt.timedelta(weeks=config["FEED_WEEKS"]),
    )


def _appointments(counter_ids: list[int], first: dt.datetime, last: dt.datetime):
    if not counter_ids:
        return []
    return db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.counter_id.in_(counter_ids),
            Appointment.status.in_([s.value for s in OCCUPYING_STATUSES]),
            Appointment.start_at >= first,
            Appointment.start_at < last,
        )
        .options(
            selectinload(Appointment.items).selectinload(AppointmentItem.service),
            selectinload(Appointment.office),
            selectinload(Appointment.counter),
        )
        .order_by(Appointment.start_at, Appointment.id)
    ).all()


def counter_appointments(counter: Counter, now: dt.datetime) -> list[Appointment]:
    return list(_appointments([counter.id], *window(now)))


def _covers(start, end, moment: dt.time) -> bool:
    return (start or dt.time.min) <= moment < (end or dt.time.max)


def works_at(patterns, exceptions, appointment: Appointment) -> bool:
    """Whether the staff member's shifts put them at the appointment's counter when it starts."""
    local = appointment.start_at.astimezone(appointment.office.zone)
    day, moment = local.date(), local.time()
    todays = [e for e in exceptions if e.date == day]
    if any(
        e.kind == ShiftExceptionKind.ABSENCE and _covers(e.start_local, e.end_local, moment)
        for e in todays
    ):
        return False
    if any(
        e.kind == ShiftExceptionKind.EXTRA
        and e.counter_id == appointment.counter_id
        and _covers(e.start_local, e.end_local, moment)
        for e in todays
    ):
        return True
    return any(
        p.counter_id == appointment.counter_id
        and p.weekday == day.weekday()
        and (p.valid_from or day) <= day <= (p.valid_until or day)
        and _covers(p.start_local, p.end_local, moment)
        for p in patterns
    )


def staff_appointments(staff: StaffMember, now: dt.datetime) -> list[Appointment]:
    first, last = window(now)
    patterns = db.session.scalars(
        sa.select(ShiftPattern).where(ShiftPattern.staff_member_id == staff.id)
    ).all()
    exceptions = db.session.scalars(
        sa.select(ShiftException).where(
            ShiftException.staff_member_id == staff.id,
            ShiftException.date >= first.date() - dt.timedelta(days=1),
            ShiftException.date <= last.date() + dt.timedelta(days=1),
        )
    ).all()
    counter_ids = sorted(
        {p.counter_id for p in patterns}
        | {e.counter_id for e in exceptions if e.counter_id is not None}
    )
    return [a for a in _appointments(counter_ids, first, last) if works_at(patterns, exceptions, a)]


def feed_appointments(feed: CalendarFeed, now: dt.datetime) -> list[Appointment]:
    if feed.counter is not None:
        return counter_appointments(feed.counter, now)
    return staff_appointments(feed.staff_member, now)


# -- the calendar ----------------------------------------------------------------------------


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def _event(appointment: Appointment, now: dt.datetime, contact: bool) -> icalendar.Event:
    services = ", ".join(
        f"{item.quantity} × {item.service.name}" if item.quantity > 1 else item.service.name
        for item in appointment.items
    )
    event = icalendar.Event()
    event.add("uid", f"staff-appointment-{appointment.id}@{_host()}")
    event.add("dtstamp", now)
    event.add("sequence", appointment.sequence)
    event.add("dtstart", appointment.start_at.astimezone(dt.UTC))
    event.add("dtend", appointment.end_at.astimezone(dt.UTC))
    event.add("summary", f"{appointment.booking_code}: {services}")
    event.add("location", f"{appointment.office.name}, {appointment.counter.name}")
    lines = [
        _("Booking code: %(code)s", code=appointment.booking_code),
        _("Services: %(services)s", services=services),
        _("Counter: %(counter)s", counter=appointment.counter.name),
    ]
    if appointment.mode != "in_person":
        lines.append(_("By phone") if appointment.mode == "phone" else _("By video"))
    if contact:
        lines += [
            _("Name: %(name)s", name=appointment.citizen_name),
            _("Email: %(email)s", email=appointment.citizen_email),
        ]
        if appointment.citizen_phone:
            lines.append(_("Phone: %(phone)s", phone=appointment.citizen_phone))
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _organizer(appointment))  # RFC 5546: PUBLISH names its organizer
    return event


def _organizer(appointment: Appointment) -> icalendar.vCalAddress:
    email = appointment.office.email or current_app.config["MAIL_DEFAULT_SENDER"]
    organizer = icalendar.vCalAddress(f"mailto:{email}")
    organizer.params["cn"] = icalendar.vText(appointment.office.name)
    return organizer


def calendar(name: str, appointments: list[Appointment], now: dt.datetime, locale="de") -> bytes:
    allowed: dict[int, bool] = {}
    with force_locale(locale):
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", name)
        for appointment in appointments:
            office_id = appointment.office_id
            if office_id not in allowed:
                allowed[office_id] = contact_data_allowed(office_id)
            cal.add_component(_event(appointment, now, allowed[office_id]))
        return cal.to_ical()


def feed_name(feed: CalendarFeed) -> str:
    if feed.counter is not None:
        return f"{feed.counter.office.name} – {feed.counter.name}"
    return feed.staff_member.name
