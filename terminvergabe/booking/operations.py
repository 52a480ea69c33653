"""The booking verbs: hold, confirm, opt in, cancel, rebook, expire.

Each takes the time `now` as an argument, flushes and never commits: the view (or job) that
calls it commits once. Which change of status each may make, and when, is booking/lifecycle.py's
table; these functions lock the row, take and give back the time, and announce the change.
What is free is availability.py's; codes and tokens are codes.py's.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from terminvergabe.booking import claims, codes, lifecycle, signals
from terminvergabe.booking.availability import (
    Selection,
    appointment_modes,
    available_starts,
    common_modes,
    nearest_alternatives,
    selection_minutes,
    validate_selection,
)
from terminvergabe.booking.lifecycle import Verb
from terminvergabe.booking.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    Mode,
    Office,
    SlotClaim,
)
from terminvergabe.db import db, lock_key, lock_row
from terminvergabe.errors import DomainError
from terminvergabe.fields import email_key
from terminvergabe.time import local_date


def _taken(office, selection, start_at, now, exclude=None, day_starts=None) -> DomainError:
    alternatives = nearest_alternatives(office, selection, start_at, now, exclude, day_starts)
    return DomainError(
        "slot_taken",
        _("This time has just been taken. Please choose another one."),
        alternatives=[a.isoformat() for a in alternatives],
    )


def _hold_expired() -> DomainError:
    return DomainError(
        "hold_expired",
        _("Your reservation of this time has expired. Please choose a time again."),
        status=410,
    )


# -- transitions -----------------------------------------------------------------------------


def hold(
    office: Office,
    selection: Selection,
    start_at: dt.datetime,
    now: dt.datetime,
    locale: str = "de",
    hold_minutes: int | None = None,
) -> Appointment:
    """Reserve a free time for a few minutes while the citizen enters their details
    (`hold_minutes` overrides the office's hold duration, e.g. for a waitlist offer)."""
    chosen = validate_selection(office, selection)
    day = local_date(start_at, office.zone)
    free = available_starts(office, selection, day, now)
    counters = free.get(start_at)
    if not counters:
        raise _taken(office, selection, start_at, now, day_starts=free)
    end_at = start_at + dt.timedelta(minutes=selection_minutes(office, chosen))
    expires_at = now + dt.timedelta(minutes=hold_minutes or office.hold_minutes)
    for counter_id in counters:
        appointment = _new_appointment(
            office, chosen, counter_id, start_at, end_at, now, locale, expires_at
        )
        appointment.mode = common_modes(chosen)[0]  # the default until the citizen chooses
        if claims.claim(appointment, counter_id, now, expires_at, new=True):
            signals.appointment_held.send(appointment)
            return appointment
        db.session.delete(appointment)
        db.session.flush()
    raise _taken(office, selection, start_at, now)


def _new_appointment(
    office, chosen, counter_id, start_at, end_at, now, locale, hold_expires_at
) -> Appointment:
    for _attempt in range(5):
        appointment = Appointment(
            office=office,
            counter_id=counter_id,
            start_at=start_at,
            end_at=end_at,
            booking_code=codes.new_booking_code(),
            manage_token=codes.new_manage_token(),
            checkin_token=codes.new_checkin_token(),
            locale=locale,
            created_at=now,
            hold_expires_at=hold_expires_at,
            items=[AppointmentItem(service=o.service, quantity=q) for o, q in chosen.items()],
        )
        lifecycle.begin(appointment)
        try:
            with db.session.begin_nested():
                db.session.add(appointment)
                db.session.flush()
            return appointment
        except IntegrityError:  # a booking code drawn twice; draw again
            continue
    raise RuntimeError("could not draw a unique booking code")


def _check_email_cap(appointment: Appointment, email: str, now: dt.datetime) -> None:
    """At most `max_active_per_email` future appointments per address and office. The lock
    makes two simultaneous confirmations for one address count each other."""
    lock_key(f"email-cap:{appointment.office_id}:{email}")
    active = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Appointment)
        .where(
            Appointment.office_id == appointment.office_id,
            sa.func.lower(Appointment.citizen_email) == email,
            Appointment.status.in_([AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED]),
            Appointment.start_at > now,
            Appointment.id != appointment.id,
        )
    )
    if active >= appointment.office.max_active_per_email:
        raise DomainError(
            "email_cap",
            ngettext(
                "This email address already has %(count)d upcoming appointment, the most this "
                "office allows. Please cancel it first.",
                "This email address already has %(count)d upcoming appointments, the most this "
                "office allows. Please cancel one of them first.",
                active,
                count=active,
            ),
            status=409,
        )


def _chosen_mode(appointment: Appointment, mode: str | None, phone: str) -> Mode:
    """The way the citizen chose (None: the first possible), refused unless every offer of the
    appointment has it; by phone, the office needs a number to call."""
    possible = appointment_modes(appointment)
    if mode is None:
        chosen = possible[0]
    elif mode in [m.value for m in possible]:
        chosen = Mode(mode)
    else:
        raise DomainError(
            "mode",
            _("This appointment cannot be held this way. Please choose one of the ways offered."),
            422,
        )
    if chosen == Mode.PHONE and not phone.strip():
        raise DomainError(
            "phone_required",
            _("Please enter your phone number: the office will call you at this number."),
            422,
        )
    return chosen


def confirm(
    appointment: Appointment,
    name: str,
    email: str,
    phone: str,
    now: dt.datetime,
    mode: str | None = None,
) -> Appointment:
    """Turn a hold into a booking (or into a pending one, where the office asks for opt-in),
    held in `mode` (a Mode value; None: the first way the offers have in common)."""
    lock_row(Appointment, appointment.id)
    if not lifecycle.can(appointment, Verb.CONFIRM, now):
        if appointment.status in (
            AppointmentStatus.HELD,
            AppointmentStatus.EXPIRED,
        ) or lifecycle.is_hold_expired(appointment, now):
            raise _hold_expired()
        if appointment.status == AppointmentStatus.CANCELLED:
            raise DomainError("cancelled", _("This appointment is already cancelled."), 409)
        raise DomainError("not_held", _("This appointment is already booked."), status=409)
    chosen_mode = _chosen_mode(appointment, mode, phone)
    email = email_key(email)
    _check_email_cap(appointment, email, now)
    appointment.mode = chosen_mode
    appointment.citizen_name = name.strip()
    appointment.citizen_email = email
    appointment.citizen_phone = phone.strip()
    office = appointment.office
    if office.double_opt_in:
        expires_at = now + dt.timedelta(minutes=office.opt_in_minutes)
        if not claims.keep(appointment, now, expires_at):
            raise _hold_expired()
        lifecycle.move(appointment, Verb.ASK_OPT_IN, now)
        appointment.hold_expires_at = expires_at
        db.session.flush()
        signals.appointment_pending.send(appointment)
    else:
        _finish_confirmation(appointment, Verb.CONFIRM, now)
    return appointment


def opt_in(appointment: Appointment, now: dt.datetime) -> Appointment:
    """The citizen clicked the link in the first mail: the pending booking is confirmed."""
    lock_row(Appointment, appointment.id)
    if appointment.status == AppointmentStatus.CONFIRMED:
        return appointment  # a second click changes nothing
    if not lifecycle.can(appointment, Verb.OPT_IN, now):
        raise _hold_expired()
    _finish_confirmation(appointment, Verb.OPT_IN, now)
    return appointment


def _finish_confirmation(appointment: Appointment, verb: Verb, now: dt.datetime) -> None:
    if not claims.keep(appointment, now, None):
        raise _hold_expired()
    lifecycle.move(appointment, verb, now)
    appointment.hold_expires_at = None
    appointment.confirmed_at = now
    db.session.flush()
    signals.appointment_confirmed.send(appointment)


def cancel(
    appointment: Appointment, now: dt.datetime, by: str = "citizen", reason: str = ""
) -> Appointment:
    """Cancel a hold or a booking. The citizen may until the office's deadline; the office
    (by="office") may cancel any booking that has not begun, and give the citizen a reason."""
    lock_row(Appointment, appointment.id)
    verb = Verb.OFFICE_CANCEL if by == "office" else Verb.CANCEL
    if not lifecycle.can(appointment, verb, now):
        if appointment.status == AppointmentStatus.CANCELLED:
            raise DomainError("cancelled", _("This appointment is already cancelled."), 409)
        raise DomainError(
            "cancel_deadline",
            _("This appointment can no longer be cancelled online. Please contact the office."),
            status=409,
        )
    was_booked = appointment.status == AppointmentStatus.CONFIRMED
    cooldown = appointment.office.cancel_cooldown_minutes if was_booked else 0
    claims.release(claims.of(appointment), now, cooldown)
    lifecycle.move(appointment, verb, now)
    appointment.cancelled_at = now
    appointment.hold_expires_at = None
    appointment.sequence += 1
    db.session.flush()
    signals.appointment_cancelled.send(appointment, by=by, reason=reason)
    if not cooldown:
        _announce_release(appointment)
    return appointment


def rebook(
    appointment: Appointment, start_at: dt.datetime, now: dt.datetime, by: str = "citizen"
) -> Appointment:
    """Move a booking to another time: the new time is claimed before the old one is released,
    in one transaction, so the citizen never ends up with neither. The old time goes into the
    office's cooldown, as after a cancellation. The citizen may until the office's deadline;
    the office (by="office") may move any booking that has not begun."""
    lock_row(Appointment, appointment.id)
    verb = Verb.OFFICE_REBOOK if by == "office" else Verb.REBOOK
    if not lifecycle.can(appointment, verb, now):
        raise DomainError(
            "rebook_deadline",
            _("This appointment can no longer be changed online. Please contact the office."),
            status=409,
        )
    office = appointment.office
    selection = appointment.selection
    day = local_date(start_at, office.zone)
    counters = available_starts(office, selection, day, now, appointment.id).get(start_at)
    if not counters:
        raise _taken(office, selection, start_at, now, appointment.id)
    previous = (appointment.counter_id, appointment.start_at, appointment.end_at)
    duration = appointment.end_at - appointment.start_at
    for counter_id in counters:
        appointment.counter_id = counter_id
        appointment.start_at, appointment.end_at = start_at, start_at + duration
        if claims.claim(appointment, counter_id, now, None):
            cooldown = office.cancel_cooldown_minutes
            claims.release(claims.outside(appointment), now, cooldown)
            appointment.sequence += 1
            db.session.flush()
            signals.appointment_rebooked.send(appointment, previous_start_at=previous[1], by=by)
            if not cooldown:
                signals.time_released.send(
                    office, counter_id=previous[0], start_at=previous[1], end_at=previous[2]
                )
            return appointment
    appointment.counter_id, appointment.start_at, appointment.end_at = previous
    raise _taken(office, selection, start_at, now, appointment.id)


def expire(appointment: Appointment, now: dt.datetime) -> bool:
    """Mark a lapsed hold or unconfirmed booking as expired; True when it changed."""
    lock_row(Appointment, appointment.id)
    if not lifecycle.can(appointment, Verb.EXPIRE, now):
        return False
    db.session.execute(
        sa.delete(SlotClaim).where(claims.of(appointment), SlotClaim.expires_at <= now)
    )
    lifecycle.move(appointment, Verb.EXPIRE, now)
    db.session.flush()
    signals.appointment_expired.send(appointment)
    _announce_release(appointment)
    return True


def expire_lapsed(now: dt.datetime, limit: int = 500) -> int:
    """The scheduled sweep: expire every lapsed hold and pending booking. Safe to run twice.

    Rows locked by a transition in progress (a confirmation a moment before the hold lapsed)
    are skipped; the next sweep sees how that ended."""
    lapsed = db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.hold_expires_at <= now,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    return sum(expire(a, now) for a in lapsed)


def _announce_release(appointment: Appointment) -> None:
    signals.time_released.send(
        appointment.office,
        counter_id=appointment.counter_id,
        start_at=appointment.start_at,
        end_at=appointment.end_at,
    )
