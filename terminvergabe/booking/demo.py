"""The demo office: a realistic Bürgerbüro in an (invented) town in North Rhine-Westphalia.

`load_demo(now)` creates it once; called again it leaves the office alone and only books a few
more appointments on coming days that have none yet, so the calendar never runs empty. Public
holidays come from the office's Bundesland (NW) automatically. Other packages add their demo
data (staff logins, devices, ...) as further steps: append a function `step(office, now)` to
`STEPS`; each step must be idempotent.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import sqlalchemy as sa

from terminvergabe.booking import availability, operations, signals
from terminvergabe.booking.demo_data import (
    BOOKED_SHARE,
    CITIZENS,
    COUNTERS,
    DEMO_EMAIL_DOMAIN,
    MUNICIPALITY,
    OFFICE,
    OPENING_HOURS,
    SERVICES,
    SLUG,
    STAFF,
    WED,
)
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Closure,
    Counter,
    Municipality,
    Offer,
    Office,
    OfficeMembership,
    OpeningHours,
    Service,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from terminvergabe.time import local_date


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


Step = Callable[[Office, dt.datetime], None]


def load_demo(
    now: dt.datetime, booked_share: tuple[float, ...] = BOOKED_SHARE
) -> tuple[Office, int]:
    """Create the demo office (once) and book appointments on coming days that have none.
    Returns the office and the number of appointments booked now. Flushes, never commits."""
    office = db.session.scalar(sa.select(Office).where(Office.slug == SLUG))
    if office is None:
        office = _create_office(now)
    for step in STEPS:
        step(office, now)
    return office, book_coming_days(office, now, booked_share)


def _create_office(now: dt.datetime) -> Office:
    municipality = db.session.scalar(
        sa.select(Municipality).where(Municipality.slug == MUNICIPALITY["slug"])
    ) or Municipality(**MUNICIPALITY)
    office = Office(municipality=municipality, **OFFICE)
    db.session.add(office)
    services = _create_services(office)
    counters = _create_counters(office, services)
    _create_staff(office, services, counters)
    for weekday, start, end in OPENING_HOURS:
        db.session.add(
            OpeningHours(office=office, weekday=weekday, start_local=_t(start), end_local=_t(end))
        )
    _create_closures(office, now)
    db.session.flush()
    return office


def _create_services(office: Office) -> dict[str, list[Service]]:
    by_group: dict[str, list[Service]] = {}
    for position, spec in enumerate(SERVICES, start=1):
        service = Service(
            municipality=office.municipality,
            name=spec.name,
            description=spec.description,
            what_to_bring=spec.what_to_bring,
            position=position,
        )
        offer = Offer(
            office=office,
            service=service,
            duration_minutes=spec.minutes,
            max_quantity=spec.max_quantity,
            public=spec.public,
            position=position,
            ticket_prefix=spec.prefix,
        )
        db.session.add(offer)
        by_group.setdefault(spec.group, []).append(service)
    return by_group


def _create_counters(office: Office, services: dict[str, list[Service]]) -> dict[str, Counter]:
    counters = {}
    for position, (name, groups) in enumerate(COUNTERS, start=1):
        skills = [s for group in groups for s in services[group]]
        counters[name] = Counter(office=office, name=name, position=position, skills=skills)
        db.session.add(counters[name])
    return counters


def _create_staff(office, services, counters) -> None:
    for name, counter_name, shifts, groups in STAFF:
        skills = [s for group in groups for s in services[group]] if groups else []
        staff = StaffMember(municipality=office.municipality, name=name, skills=skills)
        staff.memberships.append(OfficeMembership(office=office, roles="clerk"))
        db.session.add(staff)
        for weekday, start, end in shifts:
            db.session.add(
                ShiftPattern(
                    staff_member=staff,
                    counter=counters[counter_name],
                    weekday=weekday,
                    start_local=_t(start),
                    end_local=_t(end),
                )
            )


def _create_closures(office: Office, now: dt.datetime) -> None:
    """Christmas Eve and New Year's Eve (not public holidays in NRW, but the office is shut),
    and a staff meeting on the Wednesday two weeks from now."""
    for year in (now.year, now.year + 1):
        for day, reason in ((24, "Heiligabend"), (31, "Silvester")):
            date = dt.date(year, 12, day)
            db.session.add(Closure(office=office, first_day=date, last_day=date, reason=reason))
    today = local_date(now, office.zone)
    meeting = today + dt.timedelta(days=14 + (WED - today.weekday()) % 7)
    db.session.add(
        Closure(office=office, first_day=meeting, last_day=meeting, reason="Personalversammlung")
    )


# -- bookings --------------------------------------------------------------------------------


def book_coming_days(
    office: Office, now: dt.datetime, booked_share: tuple[float, ...] = BOOKED_SHARE
) -> int:
    """Confirmed appointments with invented citizens on the coming open days that have none
    yet, through the same hold and confirm as a citizen's booking."""
    services = office.public_offers
    days = _coming_open_days(office, now, services)
    booked = 0
    for day, share in zip(days, booked_share, strict=False):
        if not _has_bookings(office, day):
            booked += _book_day(office, day, share, services, now)
    return booked


def _coming_open_days(office, now, services) -> list[dt.date]:
    registration = next(o for o in services if o.name == "Meldebescheinigung")
    return availability.available_days(office, {registration.service_id: 1}, now)


def _has_bookings(office: Office, day: dt.date) -> bool:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=office.zone)
    end = start + dt.timedelta(days=1)
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Appointment)
            .where(
                Appointment.office_id == office.id,
                Appointment.start_at >= start,
                Appointment.start_at < end,
                Appointment.status == AppointmentStatus.CONFIRMED,
            )
        )
    )


def _book_day(office, day, share, services, now) -> int:
    """Signals are muted: these stand for bookings made earlier, and the invented citizens get
    no mail (nothing lands in the outbox) and trigger no waitlist offers."""
    with signals.appointment_held.muted(), signals.appointment_confirmed.muted():
        return _book_day_quietly(office, day, share, services, now)


def _book_day_quietly(office, day, share, services, now) -> int:
    rng = random.Random(day.toordinal())  # the same demo for the same day  # noqa: S311
    registration = next(o for o in services if o.name == "Meldebescheinigung")
    free = availability.available_starts(office, {registration.service_id: 1}, day, now)
    places = sum(len(counters) for counters in free.values())
    booked = 0
    # An appointment takes about two or three places of the 10-minute grid.
    for _attempt in range(int(places * share / 2.5)):
        selection = _random_selection(rng, services)
        starts = list(availability.available_starts(office, selection, day, now))
        if not starts:
            continue
        appointment = operations.hold(office, selection, rng.choice(starts), now)
        number = rng.randrange(1000, 10000)
        name = rng.choice(CITIZENS)
        email = f"{name.split()[0].lower()}.{number}@{DEMO_EMAIL_DOMAIN}"
        operations.confirm(appointment, name, email, "", now)
        booked += 1
    return booked


def _random_selection(rng: random.Random, offers: list[Offer]) -> dict[int, int]:
    """Mostly one service, sometimes a family (2-3 x the same), sometimes two services."""
    first = rng.choice(offers)
    roll = rng.random()
    if roll < 0.15 and first.max_quantity > 1:
        return {first.service_id: rng.randint(2, min(3, first.max_quantity))}
    if roll < 0.3:
        second = rng.choice(offers)
        return {first.service_id: 1, second.service_id: 1}
    return {first.service_id: 1}


STEPS: list[Step] = []
