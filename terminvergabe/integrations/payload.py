"""What a webhook says about an appointment: ids, office, services, times and status; the
citizen's contact data and booking code only for an endpoint allowed to have them."""

from __future__ import annotations

import datetime as dt

from terminvergabe.booking.models import Appointment
from terminvergabe.integrations.models import DataLevel


def _time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def appointment_data(appointment: Appointment, **extra) -> dict:
    """The part every endpoint gets. `extra` (previous start, who cancelled, ...) is added."""
    office = appointment.office
    data = {
        "appointment": {
            "id": appointment.id,
            "status": str(appointment.status),
            "mode": appointment.mode,
            "start_at": _time(appointment.start_at),
            "end_at": _time(appointment.end_at),
            "counter_id": appointment.counter_id,
            "services": [
                {"id": item.service_id, "quantity": item.quantity} for item in appointment.items
            ],
        },
        "office": {"id": office.id, "slug": office.slug},
        "municipality": {"id": office.municipality_id, "slug": office.municipality.slug},
    }
    data["appointment"].update(
        {k: _time(v) if isinstance(v, dt.datetime) else v for k, v in extra.items()}
    )
    return data


def contact_data(appointment: Appointment) -> dict:
    return {
        "booking_code": appointment.booking_code,
        "citizen": {
            "name": appointment.citizen_name,
            "email": appointment.citizen_email,
            "phone": appointment.citizen_phone,
        },
    }


def for_level(base: dict, contact: dict, level: str) -> dict:
    """The payload of one endpoint: contact data only at the "contact" level."""
    if level != DataLevel.CONTACT:
        return base
    data = {**base, "appointment": {**base["appointment"], **contact}}
    return data


def body(event_id: str, event_type: str, at: dt.datetime, data: dict) -> dict:
    return {"id": event_id, "type": event_type, "timestamp": _time(at), "data": data}
