"""Multi-office availability: the earliest free time for 2 services across the 10 offices of a
municipality, each with 12 counters, a 180-day horizon and about 60 % of the counters' time
booked (generated); median and p90 over many rounds, in process, of

  - earliest only (`earliest.across(..., with_days=False)`: a list of earliest times),
  - earliest and free days (`earliest.across(...)`: what the API answers),

each warm (after another session booked or cancelled a time in one office since the last
question: the usual case under load; and with nothing changed) and cold (fresh process caches:
after a start or a schedule change), against the previous way measured in the same run: asking
each office in turn (available_days, then the free starts of its first free day).

    .venv/bin/python bench/multi_office.py [--rounds 60] [--cold-rounds 5]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Without --database a temporary SQLite file is used. The database's tables are dropped and
created again. Every round starts like a request: an empty session, the municipality's public
offices loaded with one query. The generated bookings are appointments without slot claims
(the claims decide only at hold time, never what is offered; the holds made between rounds
claim their times as usual).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from terminvergabe import create_app  # noqa: E402
from terminvergabe.booking import availability, earliest, operations, schedule_cache  # noqa: E402
from terminvergabe.booking.models import (  # noqa: E402
    Appointment,
    AppointmentStatus,
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
from terminvergabe.booking.schedules import counter_days  # noqa: E402
from terminvergabe.db import db  # noqa: E402

OFFICES = 10
COUNTERS = 12
SERVICES = 12
HORIZON = 180
BOOKED = 0.6
NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Berlin
# Two kinds of office: long days early in the week, or afternoons and a Saturday.
HOURS = (
    {0: ("08:00", "16:00"), 1: ("08:00", "16:00"), 2: ("08:00", "13:00"), 3: ("08:00", "18:00")}
    | {4: ("08:00", "13:00")},
    {1: ("12:00", "19:00"), 2: ("07:00", "12:00"), 3: ("12:00", "19:00")}
    | {4: ("07:00", "12:00"), 5: ("09:00", "13:00")},
)


def build(seed: int = 1) -> tuple[int, dict[int, int]]:
    """The municipality, its offices and bookings; returns its id and a two-service
    selection."""
    rng = random.Random(seed)
    city = Municipality(slug="bench", name="Stadt Bench")
    services = [
        Service(municipality=city, name=f"Service {i}", position=i) for i in range(SERVICES)
    ]
    db.session.add_all([city, *services])
    for number in range(OFFICES):
        _office(city, number, services, rng)
    db.session.commit()
    for office in city.offices:
        _book(office, rng)
    db.session.commit()
    return city.id, {services[2].id: 1, services[5].id: 1}


def _office(city, number: int, services: list[Service], rng: random.Random) -> None:
    office = Office(
        municipality=city,
        slug=f"amt-{number}",
        name=f"Bürgerbüro {number}",
        slot_minutes=(10, 15)[number % 2],
        horizon_days=HORIZON,
        lead_minutes=60,
        bundesland="NW",
    )
    db.session.add(office)
    for service in services:
        duration = rng.choice((5, 10, 15, 20, 30))
        db.session.add(Offer(office=office, service=service, duration_minutes=duration))
    hours = HOURS[number % 2]
    for weekday, (start, end) in hours.items():
        db.session.add(
            OpeningHours(
                office=office,
                weekday=weekday,
                start_local=dt.time.fromisoformat(start),
                end_local=dt.time.fromisoformat(end),
            )
        )
    for position in range(COUNTERS):
        # Two counters do only a third of the services, the others all of them.
        skills = services if position >= 2 else services[position::3]
        counter = Counter(office=office, name=f"Schalter {position + 1}", skills=skills)
        staff = StaffMember(municipality=city, name=f"Clerk {number}-{position + 1}")
        staff.memberships.append(OfficeMembership(office=office, roles="clerk"))
        db.session.add_all([counter, staff])
        for weekday, (start, end) in hours.items():
            db.session.add(
                ShiftPattern(
                    staff_member=staff,
                    counter=counter,
                    weekday=weekday,
                    start_local=dt.time.fromisoformat(start),
                    end_local=dt.time.fromisoformat(end),
                )
            )


def _book(office: Office, rng: random.Random) -> None:
    """Fill about BOOKED of every counter's open time with appointments of 10-40 minutes."""
    days = counter_days(office, NOW.date(), NOW.date() + dt.timedelta(days=HORIZON), NOW)
    rows = []
    for _day, counters in days.items():
        for counter in counters:
            for interval in counter.staffed:
                t = interval.start
                while t < interval.end:
                    end = min(interval.end, t + dt.timedelta(minutes=rng.choice((10, 20, 30, 40))))
                    if rng.random() < BOOKED:
                        rows.append(_appointment(office, counter.counter_id, t, end))
                    t = end
    for chunk in range(0, len(rows), 5000):
        db.session.execute(sa.insert(Appointment), rows[chunk : chunk + 5000])
    print(f"{office.slug}: {len(rows)} appointments")


_NUMBERS = itertools.count(1)


def _appointment(office, counter_id, start, end) -> dict:
    code = f"{next(_NUMBERS):09d}"
    return {
        "office_id": office.id,
        "counter_id": counter_id,
        "start_at": start,
        "end_at": end,
        "status": AppointmentStatus.CONFIRMED,
        "booking_code": f"B{code}",
        "manage_token": f"m{code}",
        "checkin_token": f"c{code}",
        "created_at": NOW,
    }


def offices_of(city_id: int) -> list[Office]:
    """What a request does first: the municipality's public offices, in one query."""
    return db.session.scalars(
        sa.select(Office)
        .where(Office.municipality_id == city_id, Office.public)
        .options(selectinload(Office.offers))
        .order_by(Office.name)
    ).all()


def one_by_one(offices: list[Office], selection: dict[int, int], now: dt.datetime) -> list:
    """The previous way: each office in turn, days and then the first free day's times."""
    answers = []
    for office in offices:
        if not earliest.offers_all(office, selection):
            continue
        days = availability.available_days(office, selection, now)
        starts = availability.available_starts(office, selection, days[0], now) if days else {}
        answers.append((office.slug, min(starts) if starts else None))
    return sorted(answers, key=lambda a: (a[1] is None, a[1] or NOW, a[0]))


class OtherProcess:
    """Holds and cancels times on varying days and offices in its own session (another server
    process as far as the database is concerned), between the measured rounds."""

    def __init__(self, app, city_id: int, selection: dict[int, int]):
        self.app, self.city_id, self.selection = app, city_id, selection
        self.turn = 0
        self.held: list[int] = []

    def change(self) -> None:
        with self.app.app_context():
            if self.held and self.turn % 2:
                operations.cancel(db.session.get(Appointment, self.held.pop()), NOW)
            else:
                offices = offices_of(self.city_id)
                office = offices[self.turn % len(offices)]
                days = availability.available_days(office, self.selection, NOW)
                day = days[(self.turn * 7) % len(days)]
                starts = sorted(availability.available_starts(office, self.selection, day, NOW))
                if starts:
                    start = starts[len(starts) // 2]
                    self.held.append(operations.hold(office, self.selection, start, NOW).id)
            db.session.commit()
        self.turn += 1


def timed(function, rounds: int, before=None) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU times of `rounds` calls in ms; `before()` runs untimed first."""
    walls, cpus = [], []
    for _ in range(rounds):
        db.session.rollback()  # every round starts with an empty identity map, like a request
        if before is not None:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def measure(app, city_id: int, selection: dict[int, int], rounds: int, cold_rounds: int):
    other = OtherProcess(app, city_id, selection)

    def change():
        db.session.rollback()  # this process's request is over (SQLite: one writer at a time)
        other.change()

    def forget():
        schedule_cache.clear()  # as after a start or a schedule change: nothing in memory

    def quick():
        return [(a.office.slug, a.earliest) for a in _across(with_days=False)]

    def full():
        return [(a.office.slug, a.earliest) for a in _across(with_days=True)]

    def _across(with_days):
        return earliest.across(offices_of(city_id), selection, NOW, with_days=with_days)

    def old():
        return one_by_one(offices_of(city_id), selection, NOW)

    for _ in range(4):  # the answers agree, after changes too
        change()
        db.session.rollback()
        expected = sorted(old(), key=lambda a: a[0])
        assert sorted(full(), key=lambda a: a[0]) == expected, "across differs from one by one"
        assert sorted(quick(), key=lambda a: a[0]) == expected, "earliest only differs"
    found = full()
    print(
        f"{db.engine.dialect.name}: earliest per office: "
        + ", ".join(
            f"{slug} {start.astimezone(dt.UTC):%m-%d %H:%M}" for slug, start in found if start
        )
    )
    cases = [
        ("earliest only, after a booking", quick, old, change, rounds),
        ("earliest only, unchanged", quick, old, None, rounds),
        ("earliest + days, after a booking", full, old, change, rounds),
        ("earliest + days, unchanged", full, old, None, rounds),
        ("earliest only, cold", quick, old, forget, cold_rounds),
        ("earliest + days, cold", full, old, forget, cold_rounds),
    ]
    rows = []
    for name, new_way, old_way, before, count in cases:
        new_wall, new_cpu = timed(new_way, count, before)
        old_wall, old_cpu = timed(old_way, count, before)
        rows.append((name, new_wall, new_cpu, old_wall, old_cpu))
    print(
        f"\n{'figure':34} {'median':>8} {'p90':>8} {'cpu':>8}   "
        f"{'one by one':>10} {'p90':>8} {'cpu':>8}   {'ratio':>6}"
    )
    for name, new_wall, new_cpu, old_wall, old_cpu in rows:
        new, old_median = statistics.median(new_wall), statistics.median(old_wall)
        print(
            f"{name:34} {new:8.2f} {p90(new_wall):8.2f} {statistics.median(new_cpu):8.2f}   "
            f"{old_median:10.2f} {p90(old_wall):8.2f} {statistics.median(old_cpu):8.2f}   "
            f"{new / old_median:5.2f}x"
        )
    print(f"ms, wall clock (cpu: this process's CPU time, median) over {rounds} rounds warm and")
    print(f"{cold_rounds} cold; one by one: each office in turn, available_days then the free")
    print("starts of its first free day (the previous way), measured in the same run;")
    print("after a booking: another session held or cancelled a time in one office since;")
    print("cold: nothing in this process's memory (after a start or a schedule change).")
    print(f"{OFFICES} offices x {COUNTERS} counters, {HORIZON}-day horizon, {BOOKED:.0%} booked.")
    print("target (issue 16): 20 ms median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--cold-rounds", type=int, default=5)
    parser.add_argument("--database", help="SQLAlchemy URL (default: temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/multi.sqlite3"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "TESTING": True,
                "SECRET_KEY": "multi-office",
                "FROZEN_NOW": NOW,
                "RATELIMIT_ENABLED": False,
                "ALTCHA_REQUIRED_DEFAULT": False,
                "FAIRNESS_MAX_OPEN_HOLDS": 100000,
            }
        )
        app.instance_path = tmp
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            city_id, selection = build()
            print(f"built in {time.perf_counter() - started:.1f} s")
            measure(app, city_id, selection, args.rounds, args.cold_rounds)
            db.session.rollback()
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
