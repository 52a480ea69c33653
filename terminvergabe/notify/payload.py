"""What a mail needs, taken from the appointment when the change happens.

The mail is rendered later, by the sender job, from this snapshot alone: a rebooking that
happens before the confirmation went out does not rewrite the confirmation, and the sender
needs no access to the booking tables.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import current_app

from terminvergabe.booking.availability import video_url
from terminvergabe.booking.models import Appointment


def appointment_uid(appointment: Appointment) -> str:
    """The iCalendar UID: the same for every message about one appointment, unique worldwide."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"{appointment.booking_code.lower()}.{appointment.id}@{host}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot(appointment: Appointment, now: dt.datetime, **extra) -> dict:
    office = appointment.office
    return {
        "uid": appointment_uid(appointment),
        "booking_code": appointment.booking_code,
        "manage_token": appointment.manage_token,
        "checkin_token": appointment.checkin_token,
        "locale": appointment.locale,
        "sequence": appointment.sequence,
        "was_confirmed": appointment.confirmed_at is not None,
        "start_at": _iso(appointment.start_at),
        "end_at": _iso(appointment.end_at),
        "opt_in_until": _iso(appointment.hold_expires_at),
        "created_at": _iso(now),
        "citizen": {
            "name": appointment.citizen_name,
            "email": appointment.citizen_email,
            "phone": appointment.citizen_phone,  # the number the office calls, by phone
        },
        "mode": appointment.mode,
        "video_url": video_url(appointment),
        "office": {
            "slug": office.slug,
            "name": office.name,
            "street": office.street,
            "postcode": office.postcode,
            "city": office.city,
            "email": office.email,
            "phone": office.phone,
            "time_zone": office.time_zone,
        },
        "items": [
            {
                "service": item.service.name,
                "quantity": item.quantity,
                "what_to_bring": item.service.what_to_bring,
            }
            for item in appointment.items
        ],
        **extra,
    }


def parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None
