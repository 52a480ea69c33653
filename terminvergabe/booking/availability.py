"""What is free: the selection checked, the days with free times, the free times of a day and
the times nearest to a wanted one. Reads only; the verbs that take a time are in operations.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from terminvergabe.booking import schedule_cache
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Mode,
    Offer,
    Office,
    Service,
)
from terminvergabe.booking.schedules import booking_window, open_days
from terminvergabe.booking.slots import appointment_minutes, first_free_start, free_starts
from terminvergabe.booking.staffing import staffing
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import daterange, local_date

ALTERNATIVES = 5

Selection = Mapping[int, int]  # service id -> quantity


def validate_selection(office: Office, selection: Selection, internal: bool = False) -> dict:
    """The selection as {Offer: quantity}; refuses services the office does not offer, internal
    ones (unless `internal`) and too many of one."""
    offers = {
        o.service_id: o
        for o in db.session.scalars(
            sa.select(Offer)
            .join(Offer.service)
            .where(Offer.office_id == office.id, Offer.active, Service.active)
        )
    }
    chosen = {
        offers[service_id]: quantity
        for service_id, quantity in _checked(offers, selection, internal).items()
    }
    common_modes(chosen)  # a selection that cannot be held in one way cannot be booked
    return chosen


def common_modes(offers: Iterable[Offer]) -> list[Mode]:
    """The ways one appointment for these offers can be held (in person, by phone, by video):
    those every offer has, in the order of the office's first offer. Refuses when there is
    none: one appointment is held in one way."""
    ordered = sorted(offers, key=lambda o: (o.position, o.id))
    if not ordered:
        return [Mode.IN_PERSON]
    modes = [m for m in ordered[0].mode_list if all(m in o.mode_list for o in ordered[1:])]
    if not modes:
        raise DomainError(
            "no_common_mode",
            _(
                "These services cannot be booked together here: the office offers them in "
                "different ways (in person, by phone or by video). Please book them separately."
            ),
            422,
        )
    return modes


def modes_for(office: Office, selection: Selection) -> list[Mode]:
    """The ways an appointment for `selection` at `office` can be held, first the default."""
    return common_modes(validate_selection(office, selection))


def _offers_of(appointment: Appointment) -> list[Offer]:
    office = appointment.office
    found = (office.offer_of(item.service_id) for item in appointment.items)
    return [offer for offer in found if offer is not None]


def appointment_modes(appointment: Appointment) -> list[Mode]:
    """The ways this appointment can be held, by its office's offers of its services now."""
    offers = _offers_of(appointment)
    return common_modes(offers) if offers else [Mode(appointment.mode)]


# Once booked (not while held or awaiting opt-in), a video appointment shows its link.
VIDEO_LINK_STATUSES = (
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.CALLED,
    AppointmentStatus.IN_SERVICE,
)


def video_url(appointment: Appointment) -> str | None:
    """The video room of a booked video appointment: the link of the first of its offers
    that has one ("" when the office set none); None for any other appointment."""
    if appointment.mode != Mode.VIDEO or appointment.status not in VIDEO_LINK_STATUSES:
        return None
    offers = [o for o in _offers_of(appointment) if Mode.VIDEO in o.mode_list and o.video_url]
    return offers[0].video_url if offers else ""


def _checked(services: Mapping, selection: Selection, internal: bool = False) -> Selection:
    """The selection, refused unless every service is among `services` (id -> an Offer or a
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
    """The length of an appointment for `chosen` ({Offer: quantity})."""
    durations = {o.service_id: o.duration_minutes for o in chosen}
    selection = {o.service_id: q for o, q in chosen.items()}
    return appointment_minutes(selection, durations, office.slot_minutes)


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
