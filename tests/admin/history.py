"""Generated past data for statistics tests and the benchmark: appointments in every end state
and tickets with arrival, call, start and finish times, from a seeded random generator.

`generate(office, first, days, per_day, seed)` writes rows directly (the past cannot be booked
through the operations) and returns plain records from which tests compute the expected
figures by hand, independently of the SQL.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, AppointmentItem, AppointmentStatus
from terminvergabe.counter.models import Call, Ticket
from terminvergabe.db import db
from terminvergabe.time import local_to_utc

OUTCOMES = (
    (AppointmentStatus.DONE, 70),
    (AppointmentStatus.NO_SHOW, 8),
    (AppointmentStatus.CANCELLED, 15),
    (AppointmentStatus.EXPIRED, 7),  # a hold that lapsed: never booked
)


@dataclass
class Visit:
    """One generated visit, as the test sees it."""

    appointment_id: int | None
    status: str | None
    confirmed: bool
    counter_id: int
    service_id: int
    start_at: dt.datetime
    minutes: int
    arrived_at: dt.datetime | None = None
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    @property
    def walk_in(self) -> bool:
        return self.appointment_id is None


def generate(office, first: dt.date, days: int, per_day: int, seed: int = 1) -> list[Visit]:
    rng = random.Random(seed)
    zone = office.zone
    counters = [c.id for c in office.counters]
    services = [s.id for s in office.services]
    outcomes = [o for o, _w in OUTCOMES]
    weights = [w for _o, w in OUTCOMES]
    visits: list[Visit] = []
    appointment_rows, item_rows, ticket_rows = [], [], []
    next_id = (db.session.scalar(sa.select(sa.func.max(Appointment.id))) or 0) + 1
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        numbers: dict[str, int] = {}
        for n in range(per_day):
            counter = counters[n % len(counters)]
            slot = n // len(counters)
            start = local_to_utc(day, dt.time(8 + slot // 6 % 4, slot % 6 * 10), zone)
            service = rng.choice(services)
            status = rng.choices(outcomes, weights)[0]
            visit = Visit(
                next_id, status, status != AppointmentStatus.EXPIRED, counter, service, start, 10
            )
            next_id += 1
            appointment_rows.append(_appointment(office, visit, rng))
            item_rows.append(
                {"appointment_id": visit.appointment_id, "service_id": service, "quantity": 1}
            )
            if status == AppointmentStatus.DONE:
                _timeline(visit, start - dt.timedelta(minutes=rng.randint(0, 15)), rng)
                ticket_rows.append(_ticket(office, visit, day, numbers))
            visits.append(visit)
        for _walk_in in range(per_day // 4):
            arrival = local_to_utc(day, dt.time(rng.randint(8, 11), rng.randint(0, 59)), zone)
            visit = Visit(None, None, False, rng.choice(counters), rng.choice(services), arrival, 0)
            _timeline(visit, arrival, rng)
            ticket_rows.append(_ticket(office, visit, day, numbers))
            visits.append(visit)
    db.session.execute(sa.insert(Appointment), appointment_rows)
    db.session.execute(sa.insert(AppointmentItem), item_rows)
    if ticket_rows:
        _insert_tickets(ticket_rows)
    _move_sequence("appointment")
    db.session.flush()
    return visits


def _insert_tickets(rows: list[dict]) -> None:
    """The tickets, and the call of each (the statistics read the first call from `Call`)."""
    next_id = (db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) + 1
    for number, row in enumerate(rows, start=next_id):
        row["id"] = number
    db.session.execute(sa.insert(Ticket), rows)
    calls = [
        {
            "office_id": row["office_id"],
            "ticket_id": row["id"],
            "counter_id": row["counter_id"],
            "called_at": row["called_at"],
            "recall": False,
        }
        for row in rows
    ]
    db.session.execute(sa.insert(Call), calls)
    _move_sequence("ticket")


def _move_sequence(table: str) -> None:
    """Ids were given: move PostgreSQL's sequence past them."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")  # noqa: S608
        )


def _timeline(visit: Visit, arrival: dt.datetime, rng) -> None:
    visit.arrived_at = arrival
    visit.called_at = arrival + dt.timedelta(minutes=rng.randint(0, 70), seconds=rng.randint(0, 59))
    visit.started_at = visit.called_at + dt.timedelta(minutes=rng.randint(0, 2))
    visit.finished_at = visit.started_at + dt.timedelta(minutes=rng.randint(3, 40))


def _appointment(office, visit: Visit, rng) -> dict:
    end = visit.start_at + dt.timedelta(minutes=visit.minutes)
    created = visit.start_at - dt.timedelta(days=rng.randint(1, 20))
    return {
        "id": visit.appointment_id,
        "office_id": office.id,
        "counter_id": visit.counter_id,
        "start_at": visit.start_at,
        "end_at": end,
        "status": visit.status,
        "booking_code": secrets.token_hex(6).upper(),
        "manage_token": secrets.token_urlsafe(24),
        "checkin_token": secrets.token_urlsafe(18),
        "locale": "de",
        "citizen_name": f"Person {visit.appointment_id}",
        "citizen_email": f"person{visit.appointment_id}@example.org",
        "citizen_phone": f"0221 {visit.appointment_id:06d}",
        "created_at": created,
        "confirmed_at": created if visit.confirmed else None,
        "cancelled_at": created if visit.status == AppointmentStatus.CANCELLED else None,
        "hold_expires_at": None,
        "sequence": 0,
    }


def _ticket(office, visit: Visit, day: dt.date, numbers: dict) -> dict:
    prefix = "T" if visit.walk_in else "A"
    numbers[prefix] = numbers.get(prefix, 0) + 1
    return {
        "office_id": office.id,
        "day": day,
        "prefix": prefix,
        "number": numbers[prefix],
        "kind": "walk_in" if visit.walk_in else "appointment",
        "status": "done",
        "priority": False,
        "appointment_id": visit.appointment_id,
        "service_id": visit.service_id,
        "counter_id": visit.counter_id,
        "status_token": secrets.token_urlsafe(24),
        "locale": "de",
        "arrived_at": visit.arrived_at,
        "due_at": visit.start_at if not visit.walk_in else visit.arrived_at,
        "queued_at": visit.arrived_at,
        "called_at": visit.called_at,
        "call_count": 1,
        "started_at": visit.started_at,
        "finished_at": visit.finished_at,
    }
