"""The clerk's verbs on a ticket: call next, recall, no-show, start, finish, park, transfer,
requeue.

Each takes `now` and the acting counter or staff member, flushes and never commits. A ticket's
status changes through counter/lifecycle.py, its appointment's through booking/lifecycle.py.

Every verb writes the audit log (`audit.record`) with the acting staff member, in the same
transaction as the change: the entry commits with it or not at all. The system (the end-of-day
job) and the kiosk act without a staff member.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from terminvergabe import audit, events, metrics
from terminvergabe.booking import lifecycle as appointment_lifecycle
from terminvergabe.booking import municipalities
from terminvergabe.booking.models import Appointment, Counter, Office, Service, StaffMember
from terminvergabe.counter import lifecycle
from terminvergabe.counter.lifecycle import Verb
from terminvergabe.counter.models import (
    Call,
    Ticket,
    TicketKind,
    TicketService,
)
from terminvergabe.counter.waiting import active_ticket, counter_order, settings_for
from terminvergabe.db import db, lock_key
from terminvergabe.errors import DomainError
from terminvergabe.time import local_date

# -- shared by the verbs -----------------------------------------------------------------------


def record(
    action: str,
    ticket: Ticket,
    staff: StaffMember | None,
    now: dt.datetime,
    counter: Counter | None = None,
    actor_name: str | None = None,
    **details,
) -> None:
    """One audit entry per action on a ticket; facts only (numbers, counter), no personal
    data."""
    details["ticket"] = ticket.display_number
    if counter is not None:
        details["counter"] = counter.name
    audit.record(
        staff,
        action,
        ticket.appointment,
        at=now,
        office_id=ticket.office_id,
        actor_name=actor_name,
        **details,
    )


def follow(ticket: Ticket, verb: appointment_lifecycle.Verb, now: dt.datetime) -> None:
    """The ticket's appointment (none for a walk-in) takes the matching step."""
    if ticket.appointment is not None:
        appointment_lifecycle.move(ticket.appointment, verb, now)


def changed(ticket: Ticket) -> None:
    db.session.flush()
    events.announce(ticket.office_id, "ticket", ticket_id=ticket.id)


def _next_number(office: Office, day: dt.date, prefix: str) -> int:
    """Numbers count per office, day and prefix. The lock serialises concurrent check-ins; the
    unique constraint on (office, day, prefix, number) is the backstop."""
    lock_key(f"ticket-number:{office.id}:{day.isoformat()}:{prefix}")
    highest = db.session.scalar(
        sa.select(sa.func.max(Ticket.number)).where(
            Ticket.office_id == office.id, Ticket.day == day, Ticket.prefix == prefix
        )
    )
    return (highest or 0) + 1


def issue(
    office: Office,
    service: Service,
    kind: TicketKind,
    now: dt.datetime,
    *,
    priority: bool = False,
    appointment: Appointment | None = None,
    locale: str = "de",
) -> Ticket:
    """A new ticket in the queue (check-in and walk-in)."""
    day = local_date(now, office.zone)
    offer = office.offer_of(service.id)
    prefix = (offer.ticket_prefix if offer else "") or "A"
    due_at = appointment.start_at if kind == TicketKind.APPOINTMENT and appointment else now
    ticket = Ticket(
        office=office,
        day=day,
        prefix=prefix,
        number=_next_number(office, day, prefix),
        kind=kind.value,
        priority=priority,
        appointment=appointment,
        service=service,
        status_token=secrets.token_urlsafe(24),
        locale=locale,
        arrived_at=now,
        due_at=due_at,
        queued_at=now,
    )
    lifecycle.begin(ticket)
    db.session.add(ticket)
    db.session.flush()
    events.announce(office.id, "ticket", ticket_id=ticket.id)
    return ticket


def find_ticket_by_status_token(token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.status_token == token))
    if ticket is None or not hmac.compare_digest(ticket.status_token, token):
        return None
    if not municipalities.shown_here(ticket.office.municipality_id):
        return None
    return ticket


# -- calling -----------------------------------------------------------------------------------


def _take(ticket_id: int, counter: Counter, staff: StaffMember | None, now: dt.datetime) -> bool:
    """The ticket becomes this counter's only if it is still waiting (lifecycle.take)."""
    try:
        with db.session.begin_nested():
            return lifecycle.take(
                ticket_id,
                counter_id=counter.id,
                staff_member_id=staff.id if staff else None,
                called_at=now,
                call_count=Ticket.call_count + 1,
                target_counter_id=None,
            )
    except IntegrityError as error:  # the counter got another ticket at the same moment
        raise _counter_busy() from error


def _counter_busy() -> DomainError:
    return DomainError(
        "counter_busy", _("Please finish the current citizen before calling the next one.")
    )


def call_next(counter: Counter, now: dt.datetime, staff: StaffMember | None = None) -> Ticket:
    if active_ticket(counter) is not None:
        raise _counter_busy()
    for candidate in counter_order(counter, now):
        if _take(candidate.id, counter, staff, now):
            db.session.refresh(candidate)
            _record_call(candidate, counter, staff, now, recall=False)
            follow(candidate, appointment_lifecycle.Verb.CALL, now)
            db.session.flush()
            record("call", candidate, staff, now, counter)
            return candidate
    raise DomainError("queue_empty", _("Nobody is waiting for this counter."), 409)


def _record_call(ticket, counter, staff, now, recall: bool) -> None:
    db.session.add(
        Call(
            office_id=ticket.office_id,
            ticket_id=ticket.id,
            counter_id=counter.id,
            staff_member_id=staff.id if staff else None,
            called_at=now,
            recall=recall,
        )
    )
    metrics.count_after_commit(metrics.CALLS)
    events.announce(
        ticket.office_id,
        "call",
        ticket_id=ticket.id,
        number=ticket.display_number,
        counter=counter.name,
        recall=recall,
    )


def _own(ticket: Ticket, counter: Counter, verb: Verb) -> None:
    if ticket.counter_id != counter.id or not lifecycle.can(ticket, verb):
        raise lifecycle.refused()


def recall(ticket: Ticket, counter: Counter, now: dt.datetime, staff=None) -> Ticket:
    """Call again; after the office's maximum number of calls the ticket is a no-show."""
    _own(ticket, counter, Verb.RECALL)
    max_calls = settings_for(ticket.office).max_calls
    if ticket.call_count >= max_calls:
        return no_show(ticket, counter, now, staff, calls=ticket.call_count)
    ticket.call_count += 1
    ticket.called_at = now
    _record_call(ticket, counter, staff, now, recall=True)
    db.session.flush()
    record("recall", ticket, staff, now, counter, calls=ticket.call_count)
    return ticket


# -- at the counter ----------------------------------------------------------------------------


def no_show(
    ticket: Ticket, counter: Counter, now: dt.datetime, staff: StaffMember | None = None, **details
) -> Ticket:
    _own(ticket, counter, Verb.NO_SHOW)
    lifecycle.move(ticket, Verb.NO_SHOW)
    ticket.finished_at = now
    follow(ticket, appointment_lifecycle.Verb.NO_SHOW, now)
    changed(ticket)
    record("no_show", ticket, staff, now, counter, **details)
    return ticket


def start(
    ticket: Ticket, counter: Counter, now: dt.datetime, staff: StaffMember | None = None
) -> Ticket:
    _own(ticket, counter, Verb.START)
    lifecycle.move(ticket, Verb.START)
    ticket.started_at = now
    follow(ticket, appointment_lifecycle.Verb.START, now)
    changed(ticket)
    record("start", ticket, staff, now, counter)
    return ticket


def record_services(ticket: Ticket, services: Mapping[int, int]) -> None:
    for service_id, quantity in services.items():
        ticket.services_done.append(TicketService(service_id=service_id, quantity=quantity))


def booked_services(ticket: Ticket) -> dict[int, int]:
    return ticket.appointment.selection if ticket.appointment else {ticket.service_id: 1}


def finish(
    ticket: Ticket,
    counter: Counter,
    now: dt.datetime,
    services: Mapping[int, int] | None = None,
    staff: StaffMember | None = None,
) -> Ticket:
    """Done; `services` (service id -> quantity) records what was actually done."""
    _own(ticket, counter, Verb.FINISH)
    services = services or booked_services(ticket)
    known = {o.service_id for o in ticket.office.offers}
    if any(service_id not in known or quantity < 1 for service_id, quantity in services.items()):
        raise DomainError("unknown_service", _("This service is not offered here."), 422)
    record_services(ticket, services)
    lifecycle.move(ticket, Verb.FINISH)
    ticket.finished_at = now
    follow(ticket, appointment_lifecycle.Verb.FINISH, now)
    changed(ticket)
    record("finish", ticket, staff, now, counter, services=dict(services))
    return ticket


def _leave_counter(ticket: Ticket, now: dt.datetime) -> None:
    ticket.counter_id = None
    ticket.staff_member_id = None
    follow(ticket, appointment_lifecycle.Verb.RETURN_TO_QUEUE, now)


def park(
    ticket: Ticket, counter: Counter, now: dt.datetime, staff: StaffMember | None = None
) -> Ticket:
    """Out of the queue for a while (e.g. to fetch a document); keeps its place in line."""
    _own(ticket, counter, Verb.PARK)
    lifecycle.move(ticket, Verb.PARK)
    _leave_counter(ticket, now)
    changed(ticket)
    record("park", ticket, staff, now, counter)
    return ticket


def requeue(ticket: Ticket, now: dt.datetime, staff: StaffMember | None = None) -> Ticket:
    lifecycle.move(ticket, Verb.REQUEUE)
    ticket.call_count = 0
    changed(ticket)
    record("requeue", ticket, staff, now)
    return ticket


def transfer(
    ticket: Ticket,
    counter: Counter,
    now: dt.datetime,
    service_id: int | None = None,
    target_counter_id: int | None = None,
    staff: StaffMember | None = None,
) -> Ticket:
    """Back into the queue for another service or counter, at its old place in line."""
    _own(ticket, counter, Verb.TRANSFER)
    office = ticket.office
    if service_id is not None:
        if service_id not in {o.service_id for o in office.active_offers}:
            raise DomainError("unknown_service", _("This service is not offered here."), 422)
        ticket.service_id = service_id
    target = None
    if target_counter_id is not None:
        target = db.session.get(Counter, target_counter_id)
        if target is None or target.office_id != office.id or target.id == counter.id:
            raise DomainError("unknown_counter", _("Please choose another counter."), 422)
    if service_id is None and target_counter_id is None:
        raise DomainError("transfer_target", _("Please choose a service or a counter."), 422)
    ticket.target_counter_id = target_counter_id
    lifecycle.move(ticket, Verb.TRANSFER)
    ticket.call_count = 0
    _leave_counter(ticket, now)
    changed(ticket)
    to_counter = target.name if target is not None else None
    record("transfer", ticket, staff, now, counter, service=service_id, to_counter=to_counter)
    return ticket
