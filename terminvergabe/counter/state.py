"""What each screen shows, read fresh from the database: used for the first page render and
for every live update (the screens re-render the full state, so a missed event never leaves a
stale screen)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, AppointmentStatus, Counter, Office
from terminvergabe.counter import queue, waiting
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
        "current": waiting.active_ticket(counter),
        "queue": waiting.counter_order(counter, now),
        "waiting": waiting_count(office, now),
        "services": [o.service for o in office.active_offers],
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
    open_tickets = db.session.scalars(
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
        "tickets": open_tickets,
        "waiting": sum(t.status == TicketStatus.WAITING for t in open_tickets),
        "offers": office.active_offers,
    }


def _recent_service_times(office: Office, now: dt.datetime) -> list[dt.timedelta]:
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
    return [f - s for s, f in rows]


def typical_minutes(office: Office, service_id: int, now: dt.datetime) -> float:
    offer = office.offer_of(service_id)
    default = offer.duration_minutes if offer else 10
    return queue.typical_service_minutes(_recent_service_times(office, now), default)


@dataclass
class OfficeQueue:
    """What every waiting citizen's phone of an office needs from the queue, read once per
    event and shared by all of them (plain values, no database objects)."""

    now: dt.datetime
    entries: list[queue.Entry]
    policy: queue.Policy
    streak: int
    counter_skills: list[tuple[int, frozenset[int]]]  # the active counters
    recent: list[dt.timedelta]
    default_minutes: dict[int, int]
    _orders: dict = field(default_factory=dict)

    def order(self, target_counter_id: int | None, service_id: int) -> list[queue.Entry]:
        key = (target_counter_id, service_id)
        if key not in self._orders:  # two threads may both compute it: same result
            self._orders[key] = queue.order(
                self.entries, self.now, target_counter_id, {service_id}, self.policy, self.streak
            )
        return self._orders[key]


def office_queue(office: Office, now: dt.datetime) -> OfficeQueue:
    day, start, _ = today(office, now)
    return OfficeQueue(
        now=now,
        entries=[waiting.entry(t) for t in waiting.waiting_tickets(office.id, day)],
        policy=waiting.policy_for(waiting.settings_for(office)),
        streak=waiting.appointment_streak(office.id, start),
        counter_skills=[
            (c.id, frozenset(s.id for s in c.skills)) for c in office.counters if c.active
        ],
        recent=_recent_service_times(office, now),
        default_minutes={o.service_id: o.duration_minutes for o in office.offers},
    )


def ticket(
    ticket: Ticket,
    now: dt.datetime,
    shared: Callable[[], OfficeQueue] | None = None,
) -> dict:
    """The citizen's own ticket: place, estimated wait, or the counter to go to. Nothing about
    anyone else. `shared` gives the office's queue when many phones share one reading."""
    office = ticket.office
    result = {"ticket": ticket, "office": office, "ahead": None, "wait_minutes": None}
    if ticket.status != TicketStatus.WAITING:
        return result
    current = shared() if shared is not None else office_queue(office, now)
    counters = [
        counter_id
        for counter_id, skills in current.counter_skills
        if ticket.service_id in skills and ticket.target_counter_id in (None, counter_id)
    ]
    ordered = current.order(ticket.target_counter_id, ticket.service_id)
    ahead = next((i for i, e in enumerate(ordered) if e.id == ticket.id), len(ordered))
    result["ahead"] = ahead
    default = current.default_minutes.get(ticket.service_id, 10)
    result["wait_minutes"] = queue.estimated_wait_minutes(
        ahead, len(counters), queue.typical_service_minutes(current.recent, default)
    )
    return result
