"""What each screen shows, read fresh from the database: used for the first page render and
for every live update (the screens re-render the full state, so a missed event never leaves a
stale screen)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, AppointmentStatus, Counter, Office
from terminvergabe.counter import operations as ops
from terminvergabe.counter import queue
from terminvergabe.counter.models import OPEN_STATUSES, Call, Ticket, TicketStatus
from terminvergabe.db import db
from terminvergabe.time import local_date, local_midnight

LATEST_CALLS = 6
RECENT_SERVICES = 20


@dataclass
class CallView:
    number: str
    counter: str
    called_at: dt.datetime
    ticket_id: int


def today(office: Office, now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    day = local_date(now, office.zone)
    start = local_midnight(day, office.zone)
    return day, start, local_midnight(day + dt.timedelta(days=1), office.zone)


def latest_calls(office: Office, now: dt.datetime, limit: int = LATEST_CALLS) -> list[CallView]:
    """The newest call of each ticket still at a counter or just called, newest first."""
    _, start, _ = today(office, now)
    rows = db.session.execute(
        sa.select(Call, Ticket, Counter)
        .join(Ticket, Call.ticket_id == Ticket.id)
        .join(Counter, Call.counter_id == Counter.id)
        .where(Call.office_id == office.id, Call.called_at >= start)
        .order_by(Call.called_at.desc(), Call.id.desc())
        .limit(limit * 3)
    ).all()
    seen, result = set(), []
    for call, ticket, counter in rows:
        if ticket.id in seen:
            continue
        seen.add(ticket.id)
        result.append(CallView(ticket.display_number, counter.name, call.called_at, ticket.id))
        if len(result) == limit:
            break
    return result


def waiting_count(office: Office, now: dt.datetime) -> int:
    day, _, _ = today(office, now)
    return db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(
            Ticket.office_id == office.id, Ticket.day == day, Ticket.status == TicketStatus.WAITING
        )
    )


def display(office: Office, now: dt.datetime) -> dict:
    return {
        "office": office,
        "calls": latest_calls(office, now),
        "waiting": waiting_count(office, now),
    }


def counter_screen(counter: Counter, now: dt.datetime) -> dict:
    office = counter.office
    return {
        "counter": counter,
        "office": office,
        "current": ops.active_ticket(counter),
        "queue": ops.counter_order(counter, now),
        "waiting": waiting_count(office, now),
        "services": [s for s in office.services if s.active],
        "counters": [c for c in office.counters if c.active and c.id != counter.id],
        "now": now,
    }


def desk(office: Office, now: dt.datetime) -> dict:
    day, start, end = today(office, now)
    appointments = db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.office_id == office.id,
            Appointment.start_at >= start,
            Appointment.start_at < end,
            Appointment.status.notin_(
                [AppointmentStatus.HELD, AppointmentStatus.EXPIRED, AppointmentStatus.CANCELLED]
            ),
        )
        .order_by(Appointment.start_at)
    ).all()
    tickets = db.session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.office_id == office.id,
            Ticket.day == day,
            Ticket.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(Ticket.queued_at)
    ).all()
    return {
        "office": office,
        "appointments": appointments,
        "tickets": tickets,
        "waiting": sum(t.status == TicketStatus.WAITING for t in tickets),
        "services": [s for s in office.services if s.active],
    }


def typical_minutes(office: Office, service_id: int, now: dt.datetime) -> float:
    _, start, _ = today(office, now)
    rows = db.session.execute(
        sa.select(Ticket.started_at, Ticket.finished_at)
        .where(
            Ticket.office_id == office.id,
            Ticket.status == TicketStatus.DONE,
            Ticket.started_at.is_not(None),
            Ticket.finished_at >= start,
        )
        .order_by(Ticket.finished_at.desc())
        .limit(RECENT_SERVICES)
    ).all()
    default = next((s.duration_minutes for s in office.services if s.id == service_id), 10)
    return queue.typical_service_minutes([f - s for s, f in rows], default)


def ticket(ticket: Ticket, now: dt.datetime) -> dict:
    """The citizen's own ticket: place, estimated wait, or the counter to go to. Nothing about
    anyone else."""
    office = ticket.office
    result = {"ticket": ticket, "office": office, "ahead": None, "wait_minutes": None}
    if ticket.status != TicketStatus.WAITING:
        return result
    counters = [
        c
        for c in office.counters
        if c.active
        and ticket.service_id in {s.id for s in c.skills}
        and ticket.target_counter_id in (None, c.id)
    ]
    day, start, _ = today(office, now)
    ordered = queue.order(
        [ops.entry(t) for t in ops.waiting_tickets(office.id, day)],
        now,
        ticket.target_counter_id,
        {ticket.service_id},
        ops.policy_for(ops.settings_for(office)),
        ops.appointment_streak(office.id, start),
    )
    ahead = next((i for i, e in enumerate(ordered) if e.id == ticket.id), len(ordered))
    result["ahead"] = ahead
    result["wait_minutes"] = queue.estimated_wait_minutes(
        ahead, len(counters), typical_minutes(office, ticket.service_id, now)
    )
    return result
