"""P1: availability. An office with 12 counters, 30 services, a 180-day horizon and about 60 %
of the counters' time booked (generated); median time of

  - available_days: the free days of the whole horizon for one selection
      cold: nothing of the office in this process's memory (after a start or a schedule change),
      after a booking: another process (session) booked a time on a day in the horizon since
        the last question (the usual case under load),
      unchanged: nothing changed since the last question (the database is still asked);
  - available_starts: the free start times of one day (always read afresh);
  - both over HTTP: GET /api/v1/offices/p1/days and /times from a threaded server on
    127.0.0.1, one keep-alive connection (the whole request: routing, limits, JSON);

each against a baseline measured in the same run: the raw SQL query that loads the claims of
the horizon or of the day (what reading the bookings from scratch costs at least), so the
ratio says how the answer compares with reading the bookings once.

    .venv/bin/python bench/p1_availability.py [--runs 15] [--profile]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Without --database a temporary SQLite file is used. The database's tables are dropped and
created again. --profile prints pyinstrument profiles of the in-process calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from terminvergabe import create_app  # noqa: E402
from terminvergabe.booking import availability, operations, schedule_cache  # noqa: E402
from terminvergabe.booking.models import (  # noqa: E402
    CLAIM_UNIT_MINUTES,
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
    city = Municipality(slug="p1", name="P1 city")
    office = Office(
        municipality=city,
        slug="p1",
        name="P1 office",
        slot_minutes=10,
        horizon_days=HORIZON,
        lead_minutes=60,
        bundesland="NW",
    )
    db.session.add(office)
    services = [Service(municipality=city, name=f"Service {i}") for i in range(SERVICES)]
    for service in services:
        minutes = rng.choice((5, 10, 15, 20, 30))
        db.session.add(Offer(office=office, service=service, duration_minutes=minutes))
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
        staff = StaffMember(municipality=city, name=f"Clerk {number + 1}")
        staff.memberships.append(OfficeMembership(office=office, roles="clerk"))
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
    if db.engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
        db.session.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('appointment', 'id'), max(id))"
                " FROM appointment"
            )
        )
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


class OtherProcess:
    """Books and cancels times on varying days of the horizon in its own session (another
    server process as far as the database is concerned), between the measured calls."""

    def __init__(self, app, office_id: int, selection: dict[int, int], days: list[dt.date]):
        self.app, self.office_id, self.selection = app, office_id, selection
        self.days = days
        self.turn = 0
        self.held: list[int] = []

    def change(self) -> None:
        with self.app.app_context():
            office = db.session.get(Office, self.office_id)
            if self.held and self.turn % 2:
                operations.cancel(db.session.get(Appointment, self.held.pop()), NOW)
            else:
                day = self.days[(self.turn * 7) % len(self.days)]
                starts = availability.available_starts(office, self.selection, day, NOW)
                if starts:
                    start = sorted(starts)[len(starts) // 2]
                    self.held.append(operations.hold(office, self.selection, start, NOW).id)
            db.session.commit()
        self.turn += 1


def median_ms_after(change, function, runs: int) -> tuple[float, float]:
    """Like median_ms, with `change()` made before each run (not timed)."""
    walls, cpus = [], []
    for _ in range(runs):
        db.session.rollback()
        change()
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


class Server:
    """The app behind a threaded WSGI server on a free port of 127.0.0.1."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port)

    def get(self, path: str) -> bytes:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return body

    def stop(self) -> None:
        self.connection.close()
        self.server.shutdown()


def median_http_ms(server: Server, path: str, runs: int, change=None) -> float:
    walls = []
    for _ in range(runs):
        if change is not None:
            change()
        wall = time.perf_counter()
        server.get(path)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls)


def measure(app, office_id: int, selection: dict[int, int], runs: int) -> None:
    office = db.session.get(Office, office_id)
    zone = office.zone
    days = availability.available_days(office, selection, NOW)
    day = days[len(days) // 3]
    first, last = NOW.astimezone(zone).date(), NOW.astimezone(zone).date() + dt.timedelta(HORIZON)
    span = (local_midnight(first, zone), local_midnight(last + dt.timedelta(days=1), zone))
    one_day = (local_midnight(day, zone), local_midnight(day + dt.timedelta(days=1), zone))
    starts = availability.available_starts(office, selection, day, NOW)
    print(f"{db.engine.dialect.name}: {len(days)} of the horizon's days have free times;")
    print(
        f"  {day}: {len(starts)} free start times; {raw_claims(office_id, *span)} claims in horizon"
    )
    other = OtherProcess(app, office_id, selection, days[1:])
    db.session.commit()

    def office_now():
        return db.session.get(Office, office_id)

    def cold_days():
        schedule_cache.clear()  # as after a start or a schedule change: nothing in memory
        return availability.available_days(office_now(), selection, NOW)

    def free_days():
        return availability.available_days(office_now(), selection, NOW)

    def change():
        db.session.rollback()  # this process's request is over (SQLite: one writer at a time)
        other.change()

    def check_after_change():
        """The answer after a change must equal one worked out from scratch."""
        db.session.rollback()
        other.change()
        kept = free_days()
        schedule_cache.clear()
        assert kept == free_days(), "free days kept in memory differ from a fresh reading"

    for _ in range(6):
        check_after_change()
    horizon_base = median_ms(lambda: raw_claims(office_id, *span), runs)
    day_base = median_ms(lambda: raw_claims(office_id, *one_day), runs * 4)
    rows = [
        ("available_days cold", median_ms(cold_days, runs), horizon_base),
        (
            "available_days after booking",
            median_ms_after(change, free_days, runs * 2),
            horizon_base,
        ),
        ("available_days unchanged", median_ms(free_days, runs * 2), horizon_base),
        (
            "available_starts (1 day)",
            median_ms(
                lambda: availability.available_starts(office_now(), selection, day, NOW), runs * 4
            ),
            day_base,
        ),
    ]
    db.session.rollback()
    server = Server(app)
    services = ",".join(f"{service}:{count}" for service, count in selection.items())
    days_path = f"/api/v1/offices/p1/days?services={services}"
    times_path = f"/api/v1/offices/p1/times?services={services}&date={day.isoformat()}"
    try:
        server.get(days_path)
        http_rows = [
            (
                "HTTP days after booking",
                median_http_ms(server, days_path, runs * 2, change),
                horizon_base,
            ),
            ("HTTP days unchanged", median_http_ms(server, days_path, runs * 2), horizon_base),
            ("HTTP times (1 day)", median_http_ms(server, times_path, runs * 4), day_base),
        ]
    finally:
        server.stop()
    head = f"{'base ms':>8} {'ratio':>6}"
    print(f"\n{'figure':30} {'wall ms':>9} {head}   {'cpu ms':>8} {head}")
    for name, (wall, cpu), (base_wall, base_cpu) in rows:
        print(
            f"{name:30} {wall:9.2f} {base_wall:8.2f} {wall / base_wall:5.2f}x"
            f"   {cpu:8.2f} {base_cpu:8.2f} {cpu / base_cpu:5.2f}x"
        )
    for name, wall, (base_wall, _base_cpu) in http_rows:
        print(f"{name:30} {wall:9.2f} {base_wall:8.2f} {wall / base_wall:5.2f}x")
    print("medians; baseline: the raw SQL query loading the claims of the horizon or the day;")
    print("cold: nothing of the office in memory (after a start or a schedule change);")
    print("after booking: another session held or cancelled a time since the last question;")
    print("unchanged: nothing changed since (the database is asked which days changed);")
    print("available_starts is always read afresh (staffing from memory, bookings read);")
    print("HTTP: threaded server on 127.0.0.1, one keep-alive connection, client in this process.")
    print("target (issue 8): 5 ms")


def profile(office_id: int, selection: dict[int, int]) -> None:
    from pyinstrument import Profiler

    office = db.session.get(Office, office_id)
    day = availability.available_days(office, selection, NOW)[40]
    for name, call in (
        ("available_days", lambda: availability.available_days(office, selection, NOW)),
        (
            "available_days cold",
            lambda: (schedule_cache.clear(), availability.available_days(office, selection, NOW)),
        ),
        ("available_starts", lambda: availability.available_starts(office, selection, day, NOW)),
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
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "TESTING": True,
                "SECRET_KEY": "p1",
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
            office_id, selection = build()
            print(f"built in {time.perf_counter() - started:.1f} s")
            measure(app, office_id, selection, args.runs)
            if args.profile:
                profile(office_id, selection)
            db.session.rollback()
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
