"""The office calendar: counters x time for a day, with appointments, holds and free time.

Staffed and busy times come from `schedules.counter_days`, the same data the slot engine books
from, so what the calendar shows free is what citizens can book (for a service the counter
can do).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from terminvergabe.booking.models import (
    HOLDING_STATUSES,
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    Counter,
    Office,
    OpeningHours,
)
from terminvergabe.booking.schedules import closed_days, counter_days, holiday_name
from terminvergabe.db import db
from terminvergabe.time import local_midnight, local_to_utc

SHOWN = HOLDING_STATUSES + OCCUPYING_STATUSES


@dataclass
class Cell:
    state: str  # "off" (not staffed), "free", "busy" (claimed without appointment), "appointment"
    appointment: Appointment | None = None
    rowspan: int = 1


@dataclass
class DayGrid:
    day: dt.date
    counters: list[Counter]
    rows: list[tuple[dt.datetime, list[Cell | None]]] = field(default_factory=list)
    free_minutes: dict[int, int] = field(default_factory=dict)
    booked: dict[int, int] = field(default_factory=dict)
    closed: str = ""


def _hours(office: Office, day: dt.date) -> tuple[dt.time, dt.time] | None:
    rows = db.session.execute(
        sa.select(sa.func.min(OpeningHours.start_local), sa.func.max(OpeningHours.end_local)).where(
            OpeningHours.office_id == office.id, OpeningHours.weekday == day.weekday()
        )
    ).one()
    return None if rows[0] is None else (rows[0], rows[1])


def _appointments(office: Office, day: dt.date) -> list[Appointment]:
    zone = office.zone
    return db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.office_id == office.id,
            Appointment.status.in_(list(SHOWN)),
            Appointment.start_at >= local_midnight(day, zone),
            Appointment.start_at < local_midnight(day + dt.timedelta(days=1), zone),
        )
        .options(selectinload(Appointment.items))
        .order_by(Appointment.start_at)
    ).all()


def day_grid(office: Office, day: dt.date, now: dt.datetime) -> DayGrid:
    counters = db.session.scalars(
        sa.select(Counter)
        .where(Counter.office_id == office.id, Counter.active)
        .order_by(Counter.position, Counter.id)
    ).all()
    grid = DayGrid(day, counters)
    if day in closed_days(office, day, day):
        grid.closed = holiday_name(office, day) or "closed"
        return grid
    hours = _hours(office, day)
    if hours is None:
        grid.closed = "closed"
        return grid
    zone = office.zone
    start, end = local_to_utc(day, hours[0], zone), local_to_utc(day, hours[1], zone)
    if start is None or end is None:
        return grid
    step = dt.timedelta(minutes=office.slot_minutes)
    staffed = {c.counter_id: c for c in counter_days(office, day, day, now).get(day, [])}
    by_counter: dict[int, list[Appointment]] = {}
    for appointment in _appointments(office, day):
        by_counter.setdefault(appointment.counter_id, []).append(appointment)
    times = []
    t = start
    while t < end:
        times.append(t)
        t += step
    columns = [
        _column(c.id, times, step, staffed.get(c.id), by_counter.get(c.id, []), now)
        for c in counters
    ]
    grid.rows = [(t, [column[i] for column in columns]) for i, t in enumerate(times)]
    for counter, column in zip(counters, columns, strict=True):
        grid.free_minutes[counter.id] = sum(
            office.slot_minutes for cell in column if cell is not None and cell.state == "free"
        )
        grid.booked[counter.id] = len(by_counter.get(counter.id, []))
    return grid


def _column(counter_id, times, step, counter_day, appointments, now) -> list[Cell | None]:
    """One counter's cells; an appointment's first cell spans its rows, the rest are None."""
    cells: list[Cell | None] = []
    covered_until = None
    for t in times:
        if covered_until is not None and t < covered_until:
            cells.append(None)
            continue
        appointment = next((a for a in appointments if a.start_at <= t < a.end_at), None)
        if appointment is not None:
            rows = sum(1 for u in times if t <= u < appointment.end_at)
            cells.append(Cell("appointment", appointment, rowspan=max(rows, 1)))
            covered_until = appointment.end_at
            continue
        cells.append(Cell(_state(t, t + step, counter_day)))
    return cells


def _state(lo, hi, counter_day) -> str:
    if counter_day is None or not any(s.start <= lo and hi <= s.end for s in counter_day.staffed):
        return "off"
    if any(b_lo < hi and lo < b_hi for b_lo, b_hi in counter_day.busy):
        return "busy"
    return "free"


def is_hold(appointment: Appointment) -> bool:
    return appointment.status in (AppointmentStatus.HELD, AppointmentStatus.PENDING)
