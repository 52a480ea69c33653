"""What can happen to an appointment: its statuses, every transition and when it is allowed.

    held (expires) -> pending (awaits the email opt-in, where the office wants it) -> confirmed
    -> checked_in -> called -> in_service -> done; side exits cancelled, expired, no_show.

A hold creates an appointment in `held` (`begin`). Each verb in `TRANSITIONS` names the
statuses it starts from, the status it leads to and the condition on the moment (`now`);
`can(appointment, verb, now)` answers, `move(appointment, verb, now)` changes the status and is
the only code that writes it. The operations around it (booking/operations.py, the counter's
check-in and tickets) lock the row, change times and claims, send the signals and flush; they
never write the status themselves.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from terminvergabe.booking import signals
from terminvergabe.errors import DomainError

if TYPE_CHECKING:
    from terminvergabe.booking.models import Appointment


class AppointmentStatus(enum.StrEnum):
    HELD = "held"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    CALLED = "called"
    IN_SERVICE = "in_service"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NO_SHOW = "no_show"


S = AppointmentStatus

# Statuses in which an appointment occupies its time and counts against the per-email cap.
ACTIVE_STATUSES = (S.HELD, S.PENDING, S.CONFIRMED)
# Statuses whose time stays taken for good (for a no-show too: the counter waited).
OCCUPYING_STATUSES = (S.CONFIRMED, S.CHECKED_IN, S.CALLED, S.IN_SERVICE, S.DONE, S.NO_SHOW)
# Held and pending appointments take their time only until the hold lapses.
HOLDING_STATUSES = (S.HELD, S.PENDING)


class Verb(enum.StrEnum):
    ASK_OPT_IN = "ask_opt_in"  # the citizen left their details; the office wants an opt-in
    CONFIRM = "confirm"  # the citizen left their details
    OPT_IN = "opt_in"  # the citizen clicked the link in the first mail
    CANCEL = "cancel"  # by the citizen
    OFFICE_CANCEL = "office_cancel"
    REBOOK = "rebook"  # by the citizen: another time, same status
    OFFICE_REBOOK = "office_rebook"
    EXPIRE = "expire"  # a hold or an opt-in that lapsed
    CHECK_IN = "check_in"  # at the front desk or the kiosk
    CALL = "call"  # to a counter; again on a recall
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"  # called and never came, or never checked in on the day
    RETURN_TO_QUEUE = "return_to_queue"  # parked or transferred at the counter


# -- conditions on the moment ------------------------------------------------------------------


def is_hold_expired(appointment: Appointment, now: dt.datetime) -> bool:
    return (
        appointment.status in HOLDING_STATUSES
        and appointment.hold_expires_at is not None
        and appointment.hold_expires_at <= now
    )


def cancel_deadline(appointment: Appointment) -> dt.datetime:
    """Until when the citizen may cancel or move the appointment online."""
    return appointment.start_at - dt.timedelta(minutes=appointment.office.cancel_deadline_minutes)


def _anytime(appointment: Appointment, now: dt.datetime) -> bool:
    return True


def _hold_live(appointment: Appointment, now: dt.datetime) -> bool:
    return not is_hold_expired(appointment, now)


def _before_deadline(appointment: Appointment, now: dt.datetime) -> bool:
    return now < cancel_deadline(appointment)


def _citizen_may_cancel(appointment: Appointment, now: dt.datetime) -> bool:
    if appointment.status == S.CONFIRMED:
        return _before_deadline(appointment, now)
    return _hold_live(appointment, now)


def _office_may_cancel(appointment: Appointment, now: dt.datetime) -> bool:
    """The office may cancel whatever the citizen may, and any booking that has not begun."""
    return _citizen_may_cancel(appointment, now) or appointment.start_at > now


def _not_begun(appointment: Appointment, now: dt.datetime) -> bool:
    """The deadline keeps citizens from changing a visit at short notice; the office itself may
    move a booking until it begins (e.g. when a closure takes its counter)."""
    return now < appointment.start_at


# -- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    sources: frozenset[AppointmentStatus]
    target: AppointmentStatus
    allowed: Callable[[Appointment, dt.datetime], bool] = _anytime


def _t(sources, target, allowed=_anytime) -> Transition:
    return Transition(frozenset(sources), target, allowed)


INITIAL = S.HELD

TRANSITIONS: dict[Verb, Transition] = {
    Verb.ASK_OPT_IN: _t({S.HELD}, S.PENDING, _hold_live),
    Verb.CONFIRM: _t({S.HELD}, S.CONFIRMED, _hold_live),
    Verb.OPT_IN: _t({S.PENDING}, S.CONFIRMED, _hold_live),
    Verb.CANCEL: _t({S.HELD, S.PENDING, S.CONFIRMED}, S.CANCELLED, _citizen_may_cancel),
    Verb.OFFICE_CANCEL: _t({S.HELD, S.PENDING, S.CONFIRMED}, S.CANCELLED, _office_may_cancel),
    Verb.REBOOK: _t({S.CONFIRMED}, S.CONFIRMED, _before_deadline),
    Verb.OFFICE_REBOOK: _t({S.CONFIRMED}, S.CONFIRMED, _not_begun),
    Verb.EXPIRE: _t({S.HELD, S.PENDING}, S.EXPIRED, is_hold_expired),
    Verb.CHECK_IN: _t({S.CONFIRMED}, S.CHECKED_IN),
    Verb.CALL: _t({S.CHECKED_IN, S.CALLED}, S.CALLED),
    Verb.START: _t({S.CALLED}, S.IN_SERVICE),
    Verb.FINISH: _t({S.IN_SERVICE}, S.DONE),
    Verb.NO_SHOW: _t({S.CALLED, S.CONFIRMED}, S.NO_SHOW),
    Verb.RETURN_TO_QUEUE: _t({S.CALLED, S.IN_SERVICE}, S.CHECKED_IN),
}


def can(appointment: Appointment, verb: Verb, now: dt.datetime) -> bool:
    transition = TRANSITIONS[verb]
    return appointment.status in transition.sources and transition.allowed(appointment, now)


def begin(appointment: Appointment) -> None:
    """A new appointment (a hold) starts in the initial status."""
    appointment.status = INITIAL


def move(appointment: Appointment, verb: Verb, now: dt.datetime) -> None:
    """Change the status by `verb`; refused when the table does not allow it now. Callers that
    owe the citizen a more specific answer ask `can` first."""
    if not can(appointment, verb, now):
        raise DomainError(
            "appointment_state",
            _(
                "This appointment cannot change from %(old)s to %(new)s.",
                old=appointment.status,
                new=TRANSITIONS[verb].target.value,
            ),
            409,
        )
    previous = appointment.status
    appointment.status = TRANSITIONS[verb].target
    signals.appointment_moved.send(appointment, verb=verb, previous=previous, now=now)


# The questions pages and the API ask, by name.


def can_cancel(appointment: Appointment, now: dt.datetime) -> bool:
    return can(appointment, Verb.CANCEL, now)


def can_rebook(appointment: Appointment, now: dt.datetime) -> bool:
    return can(appointment, Verb.REBOOK, now)


def can_office_rebook(appointment: Appointment, now: dt.datetime) -> bool:
    return can(appointment, Verb.OFFICE_REBOOK, now)
