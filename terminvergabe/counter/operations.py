"""The counter verbs: check in, walk in, call next, recall, no-show, start, finish, park,
transfer, requeue.

Each takes `now` and the acting counter or staff member, flushes and never commits. These are
the only functions that write the statuses checked_in, called, in_service, done and no_show of
an appointment (see the `_appointment_*` transitions) and the status of a ticket.

Every verb writes the audit log (`admin.audit.record`) with the acting staff member, in the same
transaction as the change: the entry commits with it or not at all. The system (the end-of-day
job) and the kiosk act without a staff member.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import format_time
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from terminvergabe import audit
from terminvergabe.booking import operations as booking_ops
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Counter,
    Office,
    Service,
    StaffMember,
)
from terminvergabe.counter import events, queue
from terminvergabe.counter.models import (
    Call,
    LatePolicy,
    QueueSettings,
    Ticket,
    TicketKind,
    TicketService,
    TicketStatus,
)
from terminvergabe.db import db, lock_key, lock_row
from terminvergabe.errors import DomainError
from terminvergabe.time import local_date

# -- appointment transitions (the only writers of these appointment statuses) --------------------


def can_check_in_appointment(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.CONFIRMED


def can_call_appointment(appointment: Appointment) -> bool:
    return appointment.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.CALLED)


def can_start_appointment(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.CALLED


def can_finish_appointment(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.IN_SERVICE


def can_mark_appointment_no_show(appointment: Appointment) -> bool:
    return appointment.status in (AppointmentStatus.CALLED, AppointmentStatus.CONFIRMED)


def can_return_appointment_to_queue(appointment: Appointment) -> bool:
    return appointment.status in (AppointmentStatus.CALLED, AppointmentStatus.IN_SERVICE)


def _transition(appointment: Appointment | None, allowed: bool, status: AppointmentStatus):
    if appointment is None:
        return
    if not allowed:
        raise DomainError(
            "appointment_state",
            _(
                "This appointment cannot change from %(old)s to %(new)s.",
                old=appointment.status,
                new=status.value,
            ),
            409,
        )
    appointment.status = status


def _appointment_checked_in(appointment: Appointment) -> None:
    _transition(appointment, can_check_in_appointment(appointment), AppointmentStatus.CHECKED_IN)


def _appointment_called(appointment: Appointment | None) -> None:
    if appointment is not None:
        _transition(appointment, can_call_appointment(appointment), AppointmentStatus.CALLED)


def _appointment_in_service(appointment: Appointment | None) -> None:
    if appointment is not None:
        _transition(appointment, can_start_appointment(appointment), AppointmentStatus.IN_SERVICE)


def _appointment_done(appointment: Appointment | None) -> None:
    if appointment is not None:
        _transition(appointment, can_finish_appointment(appointment), AppointmentStatus.DONE)


def _appointment_no_show(appointment: Appointment | None) -> None:
    if appointment is not None:
        allowed = can_mark_appointment_no_show(appointment)
        _transition(appointment, allowed, AppointmentStatus.NO_SHOW)


def _appointment_back_in_queue(appointment: Appointment | None) -> None:
    if appointment is not None:
        allowed = can_return_appointment_to_queue(appointment)
        _transition(appointment, allowed, AppointmentStatus.CHECKED_IN)


# -- the audit log ---------------------------------------------------------------------------


def _audit(
    action: str,
    ticket: Ticket,
    staff: StaffMember | None,
    now: dt.datetime,
    counter: Counter | None = None,
    actor_name: str | None = None,
    **details,
) -> None:
    """One entry per staff action on a ticket; facts only (numbers, counter), no personal data."""
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


# -- tickets ---------------------------------------------------------------------------------


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


def _new_ticket(
    office: Office,
    service: Service,
    kind: TicketKind,
    now: dt.datetime,
    *,
    priority: bool = False,
    appointment: Appointment | None = None,
    locale: str = "de",
) -> Ticket:
    day = local_date(now, office.zone)
    prefix = service.ticket_prefix or "A"
    due_at = appointment.start_at if kind == TicketKind.APPOINTMENT and appointment else now
    ticket = Ticket(
        office=office,
        day=day,
        prefix=prefix,
        number=_next_number(office, day, prefix),
        kind=kind.value,
        status=TicketStatus.WAITING.value,
        priority=priority,
        appointment=appointment,
        service=service,
        status_token=secrets.token_urlsafe(24),
        locale=locale,
        arrived_at=now,
        due_at=due_at,
        queued_at=now,
    )
    db.session.add(ticket)
    db.session.flush()
    events.announce(office.id, "ticket", ticket_id=ticket.id)
    return ticket


def settings_for(office: Office) -> QueueSettings:
    return QueueSettings.for_office(office.id)


def check_in(
    office: Office,
    appointment: Appointment | None,
    now: dt.datetime,
    priority: bool = False,
    staff: StaffMember | None = None,
    actor_name: str | None = None,
) -> Ticket:
    """Check an appointment in: within the office's tolerance it joins the queue at its time;
    too late, it becomes a walk-in or is refused (office rule); too early, it is refused.
    `actor_name` names a non-staff actor for the audit log (a kiosk)."""
    if appointment is None or appointment.office_id != office.id:
        raise DomainError("not_found", _("No appointment was found for this code."), 404)
    # Read afresh under a row lock: a cancellation, or the end-of-day job marking it a no-show,
    # at the same moment runs before or after this check-in, never interleaved with it.
    lock_row(Appointment, appointment.id)
    if appointment.status != AppointmentStatus.CONFIRMED:
        if appointment.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.CALLED):
            raise DomainError("already_checked_in", _("This appointment is already checked in."))
        raise DomainError("not_bookable", _("This appointment is not valid (any more)."))
    if local_date(appointment.start_at, office.zone) != local_date(now, office.zone):
        raise DomainError("other_day", _("This appointment is not today."))
    settings = settings_for(office)
    earliest = appointment.start_at - dt.timedelta(minutes=settings.early_minutes)
    latest = appointment.start_at + dt.timedelta(minutes=settings.late_minutes)
    if now < earliest:
        raise DomainError(
            "too_early",
            _("Check-in opens at %(time)s.", time=format_time(earliest, "short")),
        )
    kind = TicketKind.APPOINTMENT
    if now > latest:
        if settings.late_policy == LatePolicy.REFUSE:
            raise DomainError(
                "too_late", _("This appointment has passed. Please book a new appointment.")
            )
        kind = TicketKind.WALK_IN
    _appointment_checked_in(appointment)
    service = appointment.items[0].service
    ticket = _new_ticket(
        office,
        service,
        kind,
        now,
        priority=priority,
        appointment=appointment,
        locale=appointment.locale,
    )
    late = kind == TicketKind.WALK_IN
    _audit("check_in", ticket, staff, now, actor_name=actor_name, late=late, priority=priority)
    return ticket


def find_appointment(office: Office, text: str) -> Appointment | None:
    """What the front desk or kiosk received: a scanned QR credential, a raw check-in token or a
    booking code."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        from terminvergabe.notify.qr import checkin_token_from_scan
    except ImportError:  # pragma: no cover - notify not installed
        checkin_token_from_scan = None  # noqa: N806
    token = checkin_token_from_scan(text) if checkin_token_from_scan else None
    appointment = booking_ops.find_by_checkin_token(token or text)
    if appointment is None:
        appointment = booking_ops.find_by_booking_code(office, text)
    return appointment


def walk_in(
    office: Office,
    service_id: int,
    now: dt.datetime,
    priority: bool = False,
    public_only: bool = False,
    locale: str = "de",
    staff: StaffMember | None = None,
    actor_name: str | None = None,
) -> Ticket:
    service = db.session.get(Service, service_id) if service_id else None
    if (
        service is None
        or service.office_id != office.id
        or not service.active
        or (public_only and not service.public)
    ):
        raise DomainError("unknown_service", _("This service is not offered here."), 422)
    ticket = _new_ticket(office, service, TicketKind.WALK_IN, now, priority=priority, locale=locale)
    _audit(
        "walk_in", ticket, staff, now, actor_name=actor_name, service=service.id, priority=priority
    )
    return ticket


# -- the queue -------------------------------------------------------------------------------


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
            Ticket.status.in_([TicketStatus.CALLED, TicketStatus.IN_SERVICE]),
        )
    )


def counter_order(counter: Counter, now: dt.datetime) -> list[Ticket]:
    """Waiting tickets in the order this counter would call them."""
    office = counter.office
    day = local_date(now, office.zone)
    tickets = {t.id: t for t in waiting_tickets(office.id, day)}
    settings = settings_for(office)
    from terminvergabe.time import local_midnight

    ordered = queue.order(
        [entry(t) for t in tickets.values()],
        now,
        counter.id,
        {s.id for s in counter.skills},
        policy_for(settings),
        appointment_streak(office.id, local_midnight(day, office.zone)),
    )
    return [tickets[e.id] for e in ordered]


def _take(ticket_id: int, counter: Counter, staff: StaffMember | None, now: dt.datetime) -> bool:
    """Compare-and-set: the ticket becomes this counter's only if it is still waiting.

    Two clerks racing for one ticket both run this UPDATE; the database lets exactly one of them
    change the row (the other's WHERE no longer matches after the first commits, or on SQLite
    never runs concurrently), so the loser sees rowcount 0 and tries the next ticket.
    """
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                sa.update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.status == TicketStatus.WAITING)
                .values(
                    status=TicketStatus.CALLED.value,
                    counter_id=counter.id,
                    staff_member_id=staff.id if staff else None,
                    called_at=now,
                    call_count=Ticket.call_count + 1,
                    target_counter_id=None,
                )
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as error:  # the counter got another ticket at the same moment
        raise _counter_busy() from error
    return result.rowcount == 1


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
            _appointment_called(candidate.appointment)
            db.session.flush()
            _audit("call", candidate, staff, now, counter)
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
    events.announce(
        ticket.office_id,
        "call",
        ticket_id=ticket.id,
        number=ticket.display_number,
        counter=counter.name,
        recall=recall,
    )


def _own(ticket: Ticket, counter: Counter, allowed: bool) -> None:
    if ticket.counter_id != counter.id or not allowed:
        raise DomainError("ticket_state", _("This is not possible for this ticket now."), 409)


def recall(ticket: Ticket, counter: Counter, now: dt.datetime, staff=None) -> Ticket:
    """Call again; after the office's maximum number of calls the ticket is a no-show."""
    _own(ticket, counter, ticket.can_recall())
    max_calls = settings_for(ticket.office).max_calls
    if ticket.call_count >= max_calls:
        return no_show(ticket, counter, now, staff, calls=ticket.call_count)
    ticket.call_count += 1
    ticket.called_at = now
    _record_call(ticket, counter, staff, now, recall=True)
    db.session.flush()
    _audit("recall", ticket, staff, now, counter, calls=ticket.call_count)
    return ticket


def no_show(
    ticket: Ticket, counter: Counter, now: dt.datetime, staff: StaffMember | None = None, **details
) -> Ticket:
    _own(ticket, counter, ticket.can_mark_no_show())
    ticket.status = TicketStatus.NO_SHOW.value
    ticket.finished_at = now
    _appointment_no_show(ticket.appointment)
    _changed(ticket)
    _audit("no_show", ticket, staff, now, counter, **details)
    return ticket


def start(
    ticket: Ticket, counter: Counter, now: dt.datetime, staff: StaffMember | None = None
) -> Ticket:
    _own(ticket, counter, ticket.can_start())
    ticket.status = TicketStatus.IN_SERVICE.value
    ticket.started_at = now
    _appointment_in_service(ticket.appointment)
    _changed(ticket)
    _audit("start", ticket, staff, now, counter)
    return ticket


def finish(
    ticket: Ticket,
    counter: Counter,
    now: dt.datetime,
    services: Mapping[int, int] | None = None,
    staff: StaffMember | None = None,
) -> Ticket:
    """Done; `services` (service id -> quantity) records what was actually done."""
    _own(ticket, counter, ticket.can_finish())
    if not services:
        services = ticket.appointment.selection if ticket.appointment else {ticket.service_id: 1}
    known = {s.id for s in ticket.office.services}
    for service_id, quantity in services.items():
        if service_id not in known or quantity < 1:
            raise DomainError("unknown_service", _("This service is not offered here."), 422)
        ticket.services_done.append(TicketService(service_id=service_id, quantity=quantity))
    ticket.status = TicketStatus.DONE.value
    ticket.finished_at = now
    _appointment_done(ticket.appointment)
    _changed(ticket)
    _audit("finish", ticket, staff, now, counter, services=dict(services))
    return ticket


def _leave_counter(ticket: Ticket) -> None:
    ticket.counter_id = None
    ticket.staff_member_id = None
    _appointment_back_in_queue(ticket.appointment)


def park(
    ticket: Ticket, counter: Counter, now: dt.datetime, staff: StaffMember | None = None
) -> Ticket:
    """Out of the queue for a while (e.g. to fetch a document); keeps its place in line."""
    _own(ticket, counter, ticket.can_park())
    ticket.status = TicketStatus.PARKED.value
    _leave_counter(ticket)
    _changed(ticket)
    _audit("park", ticket, staff, now, counter)
    return ticket


def requeue(ticket: Ticket, now: dt.datetime, staff: StaffMember | None = None) -> Ticket:
    if not ticket.can_requeue():
        raise DomainError("ticket_state", _("This is not possible for this ticket now."), 409)
    ticket.status = TicketStatus.WAITING.value
    ticket.call_count = 0
    _changed(ticket)
    _audit("requeue", ticket, staff, now)
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
    _own(ticket, counter, ticket.can_transfer())
    office = ticket.office
    if service_id is not None:
        if service_id not in {s.id for s in office.services if s.active}:
            raise DomainError("unknown_service", _("This service is not offered here."), 422)
        ticket.service_id = service_id
    if target_counter_id is not None:
        target = db.session.get(Counter, target_counter_id)
        if target is None or target.office_id != office.id or target.id == counter.id:
            raise DomainError("unknown_counter", _("Please choose another counter."), 422)
    if service_id is None and target_counter_id is None:
        raise DomainError("transfer_target", _("Please choose a service or a counter."), 422)
    ticket.target_counter_id = target_counter_id
    ticket.status = TicketStatus.WAITING.value
    ticket.call_count = 0
    _leave_counter(ticket)
    _changed(ticket)
    _audit(
        "transfer",
        ticket,
        staff,
        now,
        counter,
        service=service_id,
        to_counter=target.name if target_counter_id is not None else None,
    )
    return ticket


def _changed(ticket: Ticket) -> None:
    db.session.flush()
    events.announce(ticket.office_id, "ticket", ticket_id=ticket.id)


# -- end of the office day (the system acts; see tasks.close_day) -----------------------------


def mark_missed(appointment: Appointment, now: dt.datetime) -> Appointment:
    """A booked appointment whose citizen never checked in, after the office day: no-show."""
    _appointment_no_show(appointment)
    audit.record(None, "no_show", appointment, at=now, end_of_day=True)
    return appointment


def close_at_day_end(ticket: Ticket, now: dt.datetime) -> Ticket:
    """A ticket still open when its day is over. Called but never started: a no-show, as if
    the clerk had pressed it. In service: done with the booked services, but without a finish
    time (unknown, so it stays out of the service-time statistics). Waiting or parked: the
    citizen came and was not served — closed, and the appointment is no no-show."""
    if not ticket.can_close_day():
        raise DomainError("ticket_state", _("This is not possible for this ticket now."), 409)
    counter = ticket.counter
    if ticket.status == TicketStatus.CALLED:
        ticket.status = TicketStatus.NO_SHOW.value
        ticket.finished_at = now
        _appointment_no_show(ticket.appointment)
        action = "no_show"
    elif ticket.status == TicketStatus.IN_SERVICE:
        selection = ticket.appointment.selection if ticket.appointment else {ticket.service_id: 1}
        for service_id, quantity in selection.items():
            ticket.services_done.append(TicketService(service_id=service_id, quantity=quantity))
        ticket.status = TicketStatus.DONE.value
        _appointment_done(ticket.appointment)
        action = "finish"
    else:
        ticket.status = TicketStatus.CLOSED.value
        action = "close"
    _changed(ticket)
    _audit(action, ticket, None, now, counter, end_of_day=True)
    return ticket


def find_ticket_by_status_token(token: str) -> Ticket | None:
    import hmac

    if not token or len(token) > 64:
        return None
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.status_token == token))
    if ticket is None or not hmac.compare_digest(ticket.status_token, token):
        return None
    return ticket
