"""The queue as it stands in the database: the waiting tickets, the office's queue settings,
and the order in which a counter would call them (the rules are queue.py's)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking.models import Counter, Office
from terminvergabe.counter import queue
from terminvergabe.counter.models import (
    ACTIVE_AT_COUNTER,
    Call,
    QueueSettings,
    Ticket,
    TicketKind,
    TicketStatus,
)
from terminvergabe.db import db
from terminvergabe.time import local_date, local_midnight


def settings_for(office: Office) -> QueueSettings:
    return QueueSettings.for_office(office.id)


def entry(ticket: Ticket) -> queue.Entry:
    return queue.Entry(
        id=ticket.id,
        kind=ticket.kind,
        priority=ticket.priority,
        due_at=ticket.due_at,
        queued_at=ticket.queued_at,
        service_id=ticket.service_id,
        target_counter_id=ticket.target_counter_id,
    )


def waiting_tickets(office_id: int, day: dt.date) -> list[Ticket]:
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(
                Ticket.office_id == office_id,
                Ticket.day == day,
                Ticket.status == TicketStatus.WAITING,
            )
            .order_by(Ticket.queued_at, Ticket.id)
        )
    )


def policy_for(settings: QueueSettings) -> queue.Policy:
    return queue.Policy(
        walk_in_every=settings.walk_in_every,
        walk_in_max_wait=dt.timedelta(minutes=settings.walk_in_max_wait_minutes),
    )


def appointment_streak(office_id: int, day_start: dt.datetime) -> int:
    """Appointments called in a row (office-wide, today) since the last walk-in was called."""
    rows = db.session.execute(
        sa.select(Ticket.kind, Ticket.priority)
        .join(Call, Call.ticket_id == Ticket.id)
        .where(Call.office_id == office_id, Call.called_at >= day_start, Call.recall.is_(False))
        .order_by(Call.called_at.desc(), Call.id.desc())
        .limit(50)
    ).all()
    streak = 0
    for kind, priority in rows:
        if kind == TicketKind.WALK_IN:
            break
        if not priority:
            streak += 1
    return streak


def active_ticket(counter: Counter) -> Ticket | None:
    return db.session.scalar(
        sa.select(Ticket).where(
            Ticket.counter_id == counter.id,
            Ticket.status.in_([s.value for s in ACTIVE_AT_COUNTER]),
        )
    )


def counter_order(counter: Counter, now: dt.datetime) -> list[Ticket]:
    """Waiting tickets in the order this counter would call them."""
    office = counter.office
    day = local_date(now, office.zone)
    tickets = {t.id: t for t in waiting_tickets(office.id, day)}
    ordered = queue.order(
        [entry(t) for t in tickets.values()],
        now,
        counter.id,
        {s.id for s in counter.skills},
        policy_for(settings_for(office)),
        appointment_streak(office.id, local_midnight(day, office.zone)),
    )
    return [tickets[e.id] for e in ordered]
