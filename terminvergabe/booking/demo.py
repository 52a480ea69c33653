"""The demo city: Stadt Rheinstadt (two Bürgerbüros and a vehicle registration office) and a
second municipality, Gemeinde Auenwald, on one installation.

`load_demo(now)` imports each municipality's catalogue from its file (through the catalogue
importer, so a second run changes nothing), creates each office once, and books appointments on
coming days that have none yet, so the calendar never runs empty. Public holidays come from the
office's Bundesland (NW) automatically. Other packages add their demo data (staff logins,
devices, ...) as further steps: append a function `step(office, now)` to `STEPS`; it runs for
every demo office, must be idempotent, and may return lines for `flask demo` to print.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from importlib import resources

import sqlalchemy as sa

from terminvergabe.booking import availability, catalogue_import, demo_data, operations, signals
from terminvergabe.booking.demo_data import (
    BOOKED_SHARE,
    CITIZENS,
    COUNTERS,
    DEMO_EMAIL_DOMAIN,
    MUNICIPALITY,
    OFFICE,
    OPENING_HOURS,
    OTHER_OFFICES,
    SERVICES,
    SLUG,
    STAFF,
    WED,
    OfferSpec,
    OfficeSpec,
)
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Closure,
    Counter,
    Mode,
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


Step = Callable[[Office, dt.datetime], Iterable[str] | None]


def load_demo(
    now: dt.datetime,
    booked_share: tuple[float, ...] = BOOKED_SHARE,
    notes: list[str] | None = None,
) -> tuple[Office, int]:
    """Create the demo municipalities and offices (once) and book appointments on coming days
    that have none. Returns Rheinstadt-Mitte and the number of appointments booked now, in all
    offices; what the steps want said is appended to `notes`. Flushes, never commits."""
    offices = [_office(MUNICIPALITY, _main_spec(), now)]
    for municipality, specs in OTHER_OFFICES:
        offices += [_office(municipality, spec, now) for spec in specs]
    booked = 0
    for office in offices:
        for step in STEPS:
            said = step(office, now)
            if notes is not None and said:
                notes.extend(said)
        booked += book_coming_days(office, now, booked_share)
    return offices[0], booked


def demo_offices() -> list[Office]:
    """The demo's offices, Rheinstadt-Mitte first."""
    slugs = [SLUG] + [spec.fields["slug"] for _m, specs in OTHER_OFFICES for spec in specs]
    found = {o.slug: o for o in db.session.scalars(sa.select(Office).where(Office.slug.in_(slugs)))}
    return [found[slug] for slug in slugs if slug in found]


def _main_spec() -> OfficeSpec:
    staff = tuple((name, counter, shifts) for name, counter, shifts, _groups in STAFF)
    return OfficeSpec(OFFICE, SERVICES, COUNTERS, OPENING_HOURS, staff)


def _office(fields: dict, spec: OfficeSpec, now: dt.datetime) -> Office:
    municipality = _municipality(fields)
    office = db.session.scalar(sa.select(Office).where(Office.slug == spec.fields["slug"]))
    if office is None:
        office = _create_office(municipality, spec, now)
    return office


def _municipality(fields: dict) -> Municipality:
    """The municipality, created once, with its catalogue imported from the package's file."""
    municipality = db.session.scalar(
        sa.select(Municipality).where(Municipality.slug == fields["slug"])
    )
    if municipality is None:
        municipality = Municipality(**fields)
        db.session.add(municipality)
        db.session.flush()
    name = demo_data.CATALOGUES[fields["slug"]]
    data = resources.files(demo_data).joinpath(name).read_bytes()
    report = catalogue_import.import_catalogue(municipality, data, name)
    if report.errors:  # the package's own file: a mistake in it is a bug
        raise ValueError(f"{name}: {report.errors}")
    return municipality


def _create_office(municipality: Municipality, spec: OfficeSpec, now: dt.datetime) -> Office:
    office = Office(municipality=municipality, **spec.fields)
    db.session.add(office)
    services = _create_offers(office, spec.offers)
    counters = _create_counters(office, spec.counters, services)
    staff_groups = {name: groups for name, _c, _s, groups in STAFF}
    for name, counter_name, shifts in spec.staff:
        groups = staff_groups.get(name) if spec.fields["slug"] == SLUG else None
        _create_staff(office, name, counters[counter_name], shifts, groups, services)
    for weekday, start, end in spec.opening_hours:
        db.session.add(
            OpeningHours(office=office, weekday=weekday, start_local=_t(start), end_local=_t(end))
        )
    _create_closures(office, now)
    db.session.flush()
    return office


def _create_offers(office: Office, offers: tuple[OfferSpec, ...]) -> dict[str, list[Service]]:
    catalogue = {s.name: s for s in office.municipality.services}
    by_group: dict[str, list[Service]] = {}
    for position, spec in enumerate(offers, start=1):
        service = catalogue[spec.name]
        offer = Offer(
            office=office,
            service=service,
            duration_minutes=spec.minutes,
            max_quantity=spec.max_quantity,
            public=spec.public,
            position=position,
            ticket_prefix=spec.prefix,
            modes=spec.modes,
            video_url=spec.video_url,
        )
        db.session.add(offer)
        by_group.setdefault(spec.group, []).append(service)
    return by_group


def _create_counters(office, counters, services) -> dict[str, Counter]:
    made = {}
    for position, (name, groups) in enumerate(counters, start=1):
        skills = [s for group in groups for s in services.get(group, [])]
        made[name] = Counter(office=office, name=name, position=position, skills=skills)
        db.session.add(made[name])
    return made


def _create_staff(office, name, counter, shifts, groups, services) -> None:
    """A clerk at `counter` (skills: those of `groups`, or None for all the counter does)."""
    skills = [s for group in groups for s in services.get(group, [])] if groups else []
    staff = StaffMember(municipality=office.municipality, name=name, skills=skills)
    staff.memberships.append(OfficeMembership(office=office, roles="clerk"))
    db.session.add(staff)
    for weekday, start, end in shifts:
        db.session.add(
            ShiftPattern(
                staff_member=staff,
                counter=counter,
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
    # Phone and video appointments are left for visitors of the demo to book.
    services = [o for o in office.public_offers if Mode.IN_PERSON in o.mode_list]
    if not services:
        return 0
    days = _coming_open_days(office, now, services)
    booked = 0
    for day, share in zip(days, booked_share, strict=False):
        if not _has_bookings(office, day):
            booked += _book_day(office, day, share, services, now)
    return booked


def _probe(services: list[Offer]) -> Offer:
    """The shortest service: where it has no free time, nothing has."""
    return min(services, key=lambda o: (o.duration_minutes, o.position))


def _coming_open_days(office, now, services) -> list[dt.date]:
    return availability.available_days(office, {_probe(services).service_id: 1}, now)


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
    free = availability.available_starts(office, {_probe(services).service_id: 1}, day, now)
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
