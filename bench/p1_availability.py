"""P1: availability in-process. An office with 12 counters, 30 services, a 180-day horizon and
about 60 % of the counters' time booked (generated); median time of

  - available_days: the free days of the whole horizon for one selection, and
  - available_starts: the free start times of one day,

each against a baseline measured in the same run: the raw SQL query that loads the claims of
the same range (the least any implementation over this schema must do), so the ratio says how
much the slot engine and the schedule assembly add on top.

    .venv/bin/python bench/p1_availability.py [--runs 15] [--profile]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Without --database a temporary SQLite file is used. The database's tables are dropped and
created again. --profile prints a pyinstrument profile of one available_days call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from terminvergabe import create_app  # noqa: E402
from terminvergabe.booking import operations, schedule_cache  # noqa: E402
from terminvergabe.booking.models import (  # noqa: E402
    CLAIM_UNIT_MINUTES,
    Appointment,
    AppointmentStatus,
    Counter,
    Office,
    OpeningHours,
    Service,
    ShiftPattern,
    SlotClaim,
    StaffMember,
)
from terminvergabe.booking.schedules import counter_days  # noqa: E402
from terminvergabe.db import db  # noqa: E402
from terminvergabe.time import local_midnight  # noqa: E402

COUNTERS = 12
SERVICES = 30
HORIZON = 180
BOOKED = 0.6
NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Berlin
HOURS = {0: ("08:00", "16:00"), 1: ("08:00", "16:00"), 2: ("08:00", "13:00")}
HOURS |= {3: ("08:00", "18:00"), 4: ("08:00", "13:00")}


def build(seed: int = 1) -> tuple[int, dict[int, int]]:
    """The office and its bookings; returns the office id and a two-service selection."""
    rng = random.Random(seed)
    office = Office(
        slug="p1",
        name="P1 office",
        slot_minutes=10,
        horizon_days=HORIZON,
        lead_minutes=60,
        bundesland="NW",
    )
    db.session.add(office)
    services = [
        Service(
            office=office, name=f"Service {i}", duration_minutes=rng.choice((5, 10, 15, 20, 30))
        )
        for i in range(SERVICES)
    ]
    db.session.add_all(services)
    for weekday, (start, end) in HOURS.items():
        db.session.add(
            OpeningHours(
                office=office,
                weekday=weekday,
                start_local=dt.time.fromisoformat(start),
                end_local=dt.time.fromisoformat(end),
            )
        )
    for number in range(COUNTERS):
        # Two counters do only a third of the services, the others all of them.
        skills = services if number >= 2 else services[number::3]
        counter = Counter(office=office, name=f"Schalter {number + 1}", skills=skills)
        staff = StaffMember(office=office, name=f"Clerk {number + 1}", roles="clerk")
        db.session.add_all([counter, staff])
        for weekday, (start, end) in HOURS.items():
            db.session.add(
                ShiftPattern(
                    staff_member=staff,
                    counter=counter,
                    weekday=weekday,
                    start_local=dt.time.fromisoformat(start),
                    end_local=dt.time.fromisoformat(end),
                )
            )
    db.session.commit()
    _book(office, services, rng)
    db.session.commit()
    return office.id, {services[2].id: 1, services[5].id: 1}


def _book(office: Office, services: list[Service], rng: random.Random) -> None:
    """Fill about BOOKED of every counter's open time with appointments of 10-40 minutes."""
    unit = dt.timedelta(minutes=CLAIM_UNIT_MINUTES)
    days = counter_days(office, NOW.date(), NOW.date() + dt.timedelta(days=HORIZON), NOW)
    appointments, claims = [], []
    next_id = 1
    for _day, counters in days.items():
        for counter in counters:
            for interval in counter.staffed:
                t = interval.start
                while t < interval.end:
                    length = rng.choice((10, 20, 20, 30, 40))
                    end = min(interval.end, t + dt.timedelta(minutes=length))
                    if rng.random() < BOOKED:
                        appointments.append(_appointment(next_id, office, counter, t, end))
                        while t < end:
                            claims.append(
                                {
                                    "counter_id": counter.counter_id,
                                    "start_at": t,
                                    "appointment_id": next_id,
                                }
                            )
                            t += unit
                        next_id += 1
                    t = end
    for chunk in range(0, len(appointments), 5000):
        db.session.execute(sa.insert(Appointment), appointments[chunk : chunk + 5000])
    for chunk in range(0, len(claims), 20000):
        db.session.execute(sa.insert(SlotClaim), claims[chunk : chunk + 20000])
    print(f"generated {len(appointments)} appointments, {len(claims)} claimed 5-minute units")


def _appointment(number, office, counter, start, end) -> dict:
    return {
        "id": number,
        "office_id": office.id,
        "counter_id": counter.counter_id,
        "start_at": start,
        "end_at": end,
        "status": AppointmentStatus.CONFIRMED,
        "booking_code": f"B{number:09d}",
        "manage_token": f"m{number}",
        "checkin_token": f"c{number}",
        "created_at": NOW,
    }


def median_ms(function, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU time of this process in ms (CPU time is steadier on a busy
    machine; it leaves out the database server's share on PostgreSQL)."""
    walls, cpus = [], []
    for _ in range(runs):
        db.session.rollback()  # every run starts with an empty identity map, like a request
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def raw_claims(office_id: int, first: dt.datetime, last: dt.datetime) -> int:
    """Baseline: the claims of the range, one plain SQL query, rows fetched, nothing else."""
    rows = db.session.execute(
        sa.text(
            "SELECT counter_id, start_at FROM slot_claim WHERE counter_id IN "
            "(SELECT id FROM counter WHERE office_id = :office) "
            "AND start_at >= :first AND start_at < :last "
            "AND (expires_at IS NULL OR expires_at > :now) ORDER BY start_at"
        ),
        {"office": office_id, "first": _bind(first), "last": _bind(last), "now": _bind(NOW)},
    ).all()
    return len(rows)


def _bind(value: dt.datetime):
    return value.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else value


def measure(office_id: int, selection: dict[int, int], runs: int) -> None:
    office = db.session.get(Office, office_id)
    zone = office.zone
    days = operations.available_days(office, selection, NOW)
    day = days[len(days) // 3]
    first, last = NOW.astimezone(zone).date(), NOW.astimezone(zone).date() + dt.timedelta(HORIZON)
    span = (local_midnight(first, zone), local_midnight(last + dt.timedelta(days=1), zone))
    one_day = (local_midnight(day, zone), local_midnight(day + dt.timedelta(days=1), zone))
    starts = operations.available_starts(office, selection, day, NOW)
    print(f"{db.engine.dialect.name}: {len(days)} of the horizon's days have free times;")
    print(
        f"  {day}: {len(starts)} free start times; {raw_claims(office_id, *span)} claims in horizon"
    )

    def office_now():
        return db.session.get(Office, office_id)

    def cold_days():
        schedule_cache.clear()  # as after a change: nothing of this office in memory
        return operations.available_days(office_now(), selection, NOW)

    rows = [
        (
            "available_days cold",
            median_ms(cold_days, runs),
            median_ms(lambda: raw_claims(office_id, *span), runs),
        ),
        (
            "available_days warm",
            median_ms(lambda: operations.available_days(office_now(), selection, NOW), runs),
            median_ms(lambda: raw_claims(office_id, *span), runs),
        ),
        (
            "available_starts (1 day)",
            median_ms(
                lambda: operations.available_starts(office_now(), selection, day, NOW), runs * 4
            ),
            median_ms(lambda: raw_claims(office_id, *one_day), runs * 4),
        ),
    ]
    head = f"{'base ms':>8} {'ratio':>6}"
    print(f"\n{'figure':26} {'wall ms':>9} {head}   {'cpu ms':>8} {head}")
    for name, (wall, cpu), (base_wall, base_cpu) in rows:
        print(
            f"{name:26} {wall:9.2f} {base_wall:8.2f} {wall / base_wall:5.1f}x"
            f"   {cpu:8.2f} {base_cpu:8.2f} {cpu / base_cpu:5.1f}x"
        )
    print("medians; baseline: the raw SQL query loading the claims of the same range;")
    print("cold: staffing and free-day cache emptied first (the first visitor after a change);")
    print("warm: the free days kept from a call less than AVAILABILITY_CACHE_SECONDS ago;")
    print("available_starts is always worked out afresh (staffing from memory, bookings read).")
    print("target (issue 8): 5 ms")


def profile(office_id: int, selection: dict[int, int]) -> None:
    from pyinstrument import Profiler

    office = db.session.get(Office, office_id)
    day = operations.available_days(office, selection, NOW)[40]
    for name, call in (
        ("available_days", lambda: operations.available_days(office, selection, NOW)),
        ("available_starts", lambda: operations.available_starts(office, selection, day, NOW)),
    ):
        db.session.rollback()
        profiler = Profiler(interval=0.0002)
        with profiler:
            call()
        print(f"--- profile of {name}")
        print(profiler.output_text(unicode=False, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database", help="SQLAlchemy URL (default: temporary SQLite file)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/p1.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "p1"})
        app.instance_path = tmp
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            office_id, selection = build()
            print(f"built in {time.perf_counter() - started:.1f} s")
            measure(office_id, selection, args.runs)
            if args.profile:
                profile(office_id, selection)
            db.session.rollback()
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
