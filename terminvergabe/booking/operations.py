"""The booking verbs: hold, confirm, opt in, cancel, rebook, expire.

Each takes the time `now` as an argument, flushes and never commits: the view (or job) that
calls it commits once. Which change of status each may make, and when, is booking/lifecycle.py's
table; these functions lock the row, take and give back the time, and announce the change.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Mapping

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from terminvergabe.booking import claims, lifecycle, schedule_cache, signals
from terminvergabe.booking.lifecycle import Verb
from terminvergabe.booking.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    Office,
    Service,
    SlotClaim,
)
from terminvergabe.booking.schedules import booking_window, open_days
from terminvergabe.booking.slots import appointment_minutes, first_free_start, free_starts
from terminvergabe.booking.staffing import staffing
from terminvergabe.db import db, lock_key, lock_row
from terminvergabe.errors import DomainError
from terminvergabe.fields import email_key
from terminvergabe.time import daterange, local_date

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a booking code is read aloud and typed at the front desk.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 8
ALTERNATIVES = 5

Selection = Mapping[int, int]  # service id -> quantity


def new_booking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_booking_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_booking_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


# -- reading ---------------------------------------------------------------------------------


def validate_selection(office: Office, selection: Selection, internal: bool = False) -> dict:
    """The selection as {Service: quantity}; refuses unknown, internal or too many services."""
    services = {
        s.id: s
        for s in db.session.scalars(
            sa.select(Service).where(Service.office_id == office.id, Service.active)
        )
    }
    return {
        services[service_id]: quantity
        for service_id, quantity in _checked(services, selection, internal).items()
    }


def _checked(services: Mapping, selection: Selection, internal: bool = False) -> Selection:
    """The selection, refused unless every service is among `services` (id -> a Service or a
    ServiceInfo), offered to the public (or `internal`) and wanted a permitted number of times."""
    if not selection:
        raise DomainError("no_service", _("Please choose at least one service."), status=422)
    for service_id, quantity in selection.items():
        service = services.get(service_id)
        if service is None or not (service.public or internal):
            raise DomainError("unknown_service", _("This service is not offered here."), 422)
        if not 1 <= quantity <= service.max_quantity:
            raise DomainError(
                "quantity",
                ngettext(
                    "%(service)s can be booked at most %(max)d time per appointment.",
                    "%(service)s can be booked at most %(max)d times per appointment.",
                    service.max_quantity,
                    service=service.name,
                    max=service.max_quantity,
                ),
                422,
            )
    return selection


def _plain_selection(office: Office, selection: Selection) -> tuple[frozenset[int], int]:
    """The selected service ids and the appointment's length, checked against the services kept
    with the office's staffing (no rows loaded)."""
    services = staffing(office).services
    _checked(services, selection)
    durations = {service_id: services[service_id].duration_minutes for service_id in selection}
    minutes = appointment_minutes(selection, durations, office.slot_minutes)
    return frozenset(selection), minutes


def selection_minutes(office: Office, chosen: dict) -> int:
    durations = {s.id: s.duration_minutes for s in chosen}
    return appointment_minutes({s.id: q for s, q in chosen.items()}, durations, office.slot_minutes)


def available_days(
    office: Office, selection: Selection, now: dt.datetime, exclude_appointment_id=None
) -> list[dt.date]:
    """Dates in the booking window that have at least one free start time.

    Each process keeps the answer per day and reads again only the days whose bookings changed
    since (see schedule_cache.free_days); a rebook, which excludes its own time, is always
    worked out afresh."""
    services, minutes = _plain_selection(office, selection)
    window = booking_window(office, now)
    zone = office.zone
    days = list(daterange(window.first_day, window.last_day))

    lead = window.earliest_start - now

    def work_out(some_days: list[dt.date]) -> dict[dt.date, schedule_cache.DayAnswer]:
        found = open_days(office, some_days, now, exclude_appointment_id)
        answers = {}
        for day in some_days:
            open_day = found.get(day)
            if open_day is None:
                answers[day] = schedule_cache.DayAnswer(False, now, None)
                continue
            first = first_free_start(
                open_day.counters,
                services,
                minutes,
                office.slot_minutes,
                zone,
                window.earliest_start,
            )
            until = open_day.lapses_at  # a hold or cooldown lapsing may free a time
            if first is not None:
                # Free as long as now + lead <= first (`until` is exclusive: one microsecond on).
                free_until = first - lead + dt.timedelta(microseconds=1)
                until = min(until, free_until) if until else free_until
            answers[day] = schedule_cache.DayAnswer(first is not None, now, until)
        return answers

    if exclude_appointment_id is not None:
        answers = work_out(days)
        return [day for day in days if answers[day].free]
    # An answer depends on the time of asking only through lapsing holds and the lead time,
    # both expressed in its `until`: so answers are kept per kind of request.
    key = (office.id, office.schedule_stamp, services, minutes)
    return schedule_cache.free_days(
        key,
        days,
        now,
        lambda instant: local_date(instant, zone),
        work_out,
        current_app.config.get("AVAILABILITY_CACHE_SECONDS", 0),
    )


def available_starts(
    office: Office,
    selection: Selection,
    day: dt.date,
    now: dt.datetime,
    exclude_appointment_id=None,
) -> dict[dt.datetime, list[int]]:
    """Free start times on one date, each with the counters that can take it (always read
    afresh: a hold relies on it)."""
    services, minutes = _plain_selection(office, selection)
    window = booking_window(office, now)
    if not window.first_day <= day <= window.last_day:
        return {}
    open_day = open_days(office, [day], now, exclude_appointment_id).get(day)
    if open_day is None:
        return {}
    return free_starts(
        open_day.counters,
        services,
        minutes,
        office.slot_minutes,
        office.zone,
        window.earliest_start,
    )


def nearest_alternatives(
    office: Office,
    selection: Selection,
    start_at: dt.datetime,
    now: dt.datetime,
    exclude=None,
    day_starts=None,
) -> list[dt.datetime]:
    """Free start times closest to a wanted one: that day first, else the next free day.
    `day_starts`: that day's free times, when the caller has just worked them out (a refused
    hold: in a rush most clients are refused, and each would otherwise ask twice)."""
    day = local_date(start_at, office.zone)
    if day_starts is None:
        day_starts = available_starts(office, selection, day, now, exclude)
    starts = list(day_starts)
    if not starts:
        later = [d for d in available_days(office, selection, now, exclude) if d > day]
        if later:
            starts = list(available_starts(office, selection, later[0], now, exclude))
    starts.sort(key=lambda s: abs(s - start_at))
    return sorted(starts[:ALTERNATIVES])


def _could_be_token(token: str) -> bool:
    """Tokens are short and URL-safe; anything else is not looked up (PostgreSQL refuses a NUL
    character even in a comparison)."""
    return bool(token) and len(token) <= 64 and "\x00" not in token


def find_by_manage_token(token: str) -> Appointment | None:
    if not _could_be_token(token):
        return None
    appointment = db.session.scalar(sa.select(Appointment).where(Appointment.manage_token == token))
    if appointment is None or not hmac.compare_digest(appointment.manage_token, token):
        return None
    return appointment


def find_by_checkin_token(token: str) -> Appointment | None:
    if not _could_be_token(token):
        return None
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.checkin_token == token)
    )
    if appointment is None or not hmac.compare_digest(appointment.checkin_token, token):
        return None
    return appointment


def find_by_booking_code(office: Office, text: str) -> Appointment | None:
    code = normalize_booking_code(text)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(
        sa.select(Appointment).where(
            Appointment.office_id == office.id, Appointment.booking_code == code
        )
    )


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
            booking_code=new_booking_code(),
            manage_token=secrets.token_urlsafe(24),
            checkin_token=secrets.token_urlsafe(18),
            locale=locale,
            created_at=now,
            hold_expires_at=hold_expires_at,
            items=[AppointmentItem(service=s, quantity=q) for s, q in chosen.items()],
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


def confirm(
    appointment: Appointment, name: str, email: str, phone: str, now: dt.datetime
) -> Appointment:
    """Turn a hold into a booking (or into a pending one, where the office asks for opt-in)."""
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
    email = email_key(email)
    _check_email_cap(appointment, email, now)
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
