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
from dataclasses import dataclass

import sqlalchemy as sa

from terminvergabe.booking import availability, operations, signals
from terminvergabe.booking.models import (
    Appointment,
    AppointmentStatus,
    Closure,
    Counter,
    Office,
    OpeningHours,
    Service,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from terminvergabe.time import local_date

SLUG = "rheinstadt-mitte"

OFFICE = {
    "slug": SLUG,
    "name": "Bürgerbüro Rheinstadt-Mitte",
    "street": "Rathausplatz 1",
    "postcode": "50999",
    "city": "Rheinstadt",
    "email": "buergerbuero@rheinstadt.example",
    "phone": "+49 221 12345-0",
    "time_zone": "Europe/Berlin",
    "bundesland": "NW",
    "slot_minutes": 10,
    "horizon_days": 60,
    "lead_minutes": 120,
    "release_time": dt.time(7, 0),
    "hold_minutes": 10,
    "max_active_per_email": 3,
    "cancel_deadline_minutes": 24 * 60,
    "cancel_cooldown_minutes": 10,
    "double_opt_in": False,
}

# What to bring: one sentence a line, so that it reads well as a paragraph and as a list.
ID_DOCS = (
    "Bisheriger Personalausweis oder Reisepass (auch wenn abgelaufen).\n"
    "Ein aktuelles biometrisches Passfoto (oder vor Ort erstellen lassen).\n"
)
MINORS = "Bei Minderjährigen: Einverständnis beider Sorgeberechtigten und Geburtsurkunde.\n"
MOVING = (
    "Personalausweis oder Reisepass aller Personen, die umziehen.\n"
    "Wohnungsgeberbestätigung, vom Vermieter ausgefüllt und unterschrieben.\n"
)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    minutes: int
    what_to_bring: str
    group: str  # "pass" (ID documents) or "melde" (residents' registration) or "misc"
    max_quantity: int = 1
    public: bool = True
    prefix: str = "A"
    description: str = ""


SERVICES = (
    ServiceSpec(
        "Personalausweis beantragen",
        20,
        ID_DOCS + MINORS + "Gebühr: 46,00 € (unter 24 Jahren 22,80 €), Karte oder bar.",
        "pass",
        max_quantity=4,
        description="Neuer Personalausweis mit Online-Ausweisfunktion; Abholung nach 3–4 Wochen.",
    ),
    ServiceSpec(
        "Reisepass beantragen",
        20,
        ID_DOCS + MINORS + "Gebühr: 70,00 € (unter 24 Jahren 37,50 €).",
        "pass",
        max_quantity=4,
    ),
    ServiceSpec(
        "Vorläufigen Personalausweis beantragen",
        15,
        ID_DOCS + "Gebühr: 10,00 €.",
        "pass",
        max_quantity=2,
    ),
    ServiceSpec(
        "Kinderreisepass beantragen",
        15,
        "Geburtsurkunde des Kindes.\nEin aktuelles biometrisches Passfoto des Kindes.\n"
        "Ausweise und Einverständnis beider Sorgeberechtigten.\nGebühr: 13,00 €.",
        "pass",
        max_quantity=4,
    ),
    ServiceSpec(
        "Anmeldung einer Wohnung",
        15,
        MOVING + "Bei Zuzug aus dem Ausland: Pass und Aufenthaltstitel.",
        "melde",
        max_quantity=6,
        prefix="B",
    ),
    ServiceSpec(
        "Ummeldung innerhalb der Stadt",
        10,
        MOVING,
        "melde",
        max_quantity=6,
        prefix="B",
    ),
    ServiceSpec(
        "Abmeldung einer Wohnung",
        10,
        "Personalausweis oder Reisepass.\nDie neue Anschrift (bei Wegzug ins Ausland).",
        "melde",
        max_quantity=6,
        prefix="B",
    ),
    ServiceSpec(
        "Meldebescheinigung",
        5,
        "Personalausweis oder Reisepass.\nGebühr: 10,00 €.",
        "melde",
        max_quantity=3,
        prefix="B",
    ),
    ServiceSpec(
        "Führungszeugnis beantragen",
        10,
        "Personalausweis oder Reisepass.\nFür ein erweitertes Führungszeugnis: "
        "schriftliche Aufforderung des Arbeitgebers oder Vereins.\nGebühr: 13,00 €.",
        "misc",
        max_quantity=2,
        prefix="C",
    ),
    ServiceSpec(
        "Beglaubigung von Kopien und Unterschriften",
        10,
        "Original und Kopien des Dokuments.\nPersonalausweis oder Reisepass.\n"
        "Gebühr: ab 5,00 € je Beglaubigung.",
        "misc",
        max_quantity=5,
        prefix="C",
    ),
    ServiceSpec(
        "Fundsachen abgeben oder abholen",
        10,
        "Beim Abholen: Personalausweis oder Reisepass und eine Beschreibung des Gegenstands.",
        "misc",
        prefix="C",
    ),
    ServiceSpec(
        "Bewohnerparkausweis beantragen",
        10,
        "Fahrzeugschein (Zulassungsbescheinigung Teil I).\nPersonalausweis oder Reisepass.\n"
        "Bei Firmen- oder Leasingwagen: Nutzungsbestätigung.\nGebühr: 30,00 € pro Jahr.",
        "misc",
        prefix="C",
    ),
    # Internal: booked by staff for a citizen, never offered online.
    ServiceSpec(
        "Ausweisdokument abholen",
        5,
        "Bisheriges Ausweisdokument.\nPIN-Brief der Bundesdruckerei.",
        "pass",
        public=False,
        prefix="D",
    ),
    ServiceSpec(
        "Klärung Meldeangelegenheit (intern)",
        20,
        "",
        "melde",
        public=False,
        prefix="D",
    ),
)

# Counter name -> service groups it does. Schalter 6 does residents' registration only.
COUNTERS = (
    ("Schalter 1", ("pass", "melde", "misc")),
    ("Schalter 2", ("pass", "melde", "misc")),
    ("Schalter 3", ("pass", "melde", "misc")),
    ("Schalter 4", ("pass", "melde", "misc")),
    ("Schalter 5", ("pass", "misc")),
    ("Schalter 6 (Meldewesen)", ("melde",)),
)

MON, TUE, WED, THU, FRI, SAT = range(6)


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


# Opening hours: mornings Mon–Fri, afternoons Mon and Tue, a long Thursday, Saturday morning.
OPENING_HOURS = (
    *((day, "08:00", "12:30") for day in (MON, TUE, WED, FRI)),
    (MON, "14:00", "16:00"),
    (TUE, "14:00", "16:00"),
    (THU, "08:00", "18:00"),
    (SAT, "09:00", "12:00"),
)

MORNING = ((MON, "08:00", "12:30"), (TUE, "08:00", "12:30"), (WED, "08:00", "12:30"))
LATE_WEEK = ((THU, "08:00", "13:00"), (FRI, "08:00", "12:30"))
AFTERNOON = ((MON, "14:00", "16:00"), (TUE, "14:00", "16:00"))
THURSDAY_LATE = ((THU, "12:30", "18:00"),)
SATURDAY = ((SAT, "09:00", "12:00"),)

# Staff member, counter, weekly shifts, skills (None: all the counter can do).
STAFF = (
    ("Anna Becker", "Schalter 1", MORNING + LATE_WEEK + AFTERNOON, None),
    ("Mehmet Yılmaz", "Schalter 2", MORNING + LATE_WEEK, None),
    ("Julia Hoffmann", "Schalter 3", MORNING + LATE_WEEK + SATURDAY, None),
    ("Thomas Schulz", "Schalter 4", MORNING + ((FRI, "08:00", "12:30"),), None),
    ("Olena Kovalenko", "Schalter 4", THURSDAY_LATE + ((THU, "08:00", "12:30"),), None),
    ("Katharina Wagner", "Schalter 5", MORNING + THURSDAY_LATE + AFTERNOON, None),
    ("Lukas Neumann", "Schalter 6 (Meldewesen)", MORNING + LATE_WEEK + SATURDAY, ("melde",)),
    # A trainee at Schalter 2 in the afternoons: registration only, for now.
    ("Sophie Klein", "Schalter 2", AFTERNOON + THURSDAY_LATE, ("melde",)),
)

CITIZENS = (
    "Erika Mustermann",
    "Max Müller",
    "Fatma Demir",
    "Jan Schmitz",
    "Leonie Weber",
    "Ahmad Haddad",
    "Petra Krause",
    "Nikolai Iwanow",
    "Marie Fischer",
    "Paul Koch",
    "Aylin Kaya",
    "Hans Richter",
    "Sara Rossi",
    "Tim Wolf",
    "Emma Schäfer",
    "Yusuf Arslan",
)

# Share of free start times booked on each of the coming days (the nearest days are busiest).
BOOKED_SHARE = (0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.1)
DEMO_EMAIL_DOMAIN = "demo.rheinstadt.example"

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
    office = Office(**OFFICE)
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
            office=office,
            name=spec.name,
            description=spec.description,
            what_to_bring=spec.what_to_bring,
            duration_minutes=spec.minutes,
            max_quantity=spec.max_quantity,
            public=spec.public,
            position=position,
            ticket_prefix=spec.prefix,
        )
        db.session.add(service)
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
        staff = StaffMember(office=office, name=name, roles="clerk", skills=skills)
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
    services = [s for s in office.services if s.public]
    days = _coming_open_days(office, now, services)
    booked = 0
    for day, share in zip(days, booked_share, strict=False):
        if not _has_bookings(office, day):
            booked += _book_day(office, day, share, services, now)
    return booked


def _coming_open_days(office, now, services) -> list[dt.date]:
    registration = next(s for s in services if s.name == "Meldebescheinigung")
    return availability.available_days(office, {registration.id: 1}, now)


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
    registration = next(s for s in services if s.name == "Meldebescheinigung")
    free = availability.available_starts(office, {registration.id: 1}, day, now)
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


def _random_selection(rng: random.Random, services: list[Service]) -> dict[int, int]:
    """Mostly one service, sometimes a family (2-3 x the same), sometimes two services."""
    first = rng.choice(services)
    roll = rng.random()
    if roll < 0.15 and first.max_quantity > 1:
        return {first.id: rng.randint(2, min(3, first.max_quantity))}
    if roll < 0.3:
        second = rng.choice(services)
        return {first.id: 1, second.id: 1}
    return {first.id: 1}


STEPS: list[Step] = []
