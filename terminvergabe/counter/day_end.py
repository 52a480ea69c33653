"""The end of the office day, where the system acts (see tasks.close_day): appointments whose
citizen never came, and tickets still open. Each flushes and never commits."""

from __future__ import annotations

import datetime as dt

from terminvergabe import audit
from terminvergabe.booking import lifecycle as appointment_lifecycle
from terminvergabe.booking.models import Appointment
from terminvergabe.counter import lifecycle, tickets
from terminvergabe.counter.lifecycle import Verb
from terminvergabe.counter.models import Ticket, TicketStatus

AppointmentVerb = appointment_lifecycle.Verb


def mark_missed(appointment: Appointment, now: dt.datetime) -> Appointment:
    """A booked appointment whose citizen never checked in, after the office day: no-show."""
    appointment_lifecycle.move(appointment, AppointmentVerb.NO_SHOW, now)
    audit.record(None, "no_show", appointment, at=now, end_of_day=True)
    return appointment


def close_at_day_end(ticket: Ticket, now: dt.datetime) -> Ticket:
    """A ticket still open when its day is over. Called but never started: a no-show, as if
    the clerk had pressed it. In service: done with the booked services, but without a finish
    time (unknown, so it stays out of the service-time statistics). Waiting or parked: the
    citizen came and was not served — closed, and the appointment is no no-show."""
    if not lifecycle.can_close_day(ticket):
        raise lifecycle.refused()
    counter = ticket.counter
    if ticket.status == TicketStatus.CALLED:
        lifecycle.move(ticket, Verb.NO_SHOW)
        ticket.finished_at = now
        tickets.follow(ticket, AppointmentVerb.NO_SHOW, now)
        action = "no_show"
    elif ticket.status == TicketStatus.IN_SERVICE:
        tickets.record_services(ticket, tickets.booked_services(ticket))
        lifecycle.move(ticket, Verb.FINISH)
        tickets.follow(ticket, AppointmentVerb.FINISH, now)
        action = "finish"
    else:
        lifecycle.move(ticket, Verb.CLOSE)
        action = "close"
    tickets.changed(ticket)
    tickets.record(action, ticket, None, now, counter, end_of_day=True)
    return ticket
