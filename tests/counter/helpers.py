"""Helpers for counter tests: booked appointments and tickets on the test office."""

import datetime as dt

from terminvergabe.booking import operations as booking_ops
from terminvergabe.db import db

# Monday 12 January 2026 in Berlin (UTC+1): 10:00 local is 09:00 UTC.
DAY = dt.date(2026, 1, 12)


def at(hour: int, minute: int = 0) -> dt.datetime:
    """Local Berlin wall time on the test day, as aware UTC."""
    return dt.datetime(2026, 1, 12, hour - 1, minute, tzinfo=dt.UTC)


def service(office, name_start: str):
    return next(s for s in office.services if s.name.startswith(name_start))


def book(office, start_at, now, name="Erika Mustermann", service_name="Personalausweis"):
    chosen = {service(office, service_name).id: 1}
    appointment = booking_ops.hold(office, chosen, start_at, now)
    booking_ops.confirm(appointment, name, f"{name.split()[0].lower()}@example.org", "", now)
    db.session.flush()
    return appointment
