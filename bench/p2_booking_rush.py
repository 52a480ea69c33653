"""P2: a booking rush on PostgreSQL behind gunicorn.

500 concurrent clients (threads, each its own HTTP connection) go for 200 free times of one
counter through the JSON API: hold a time, and on "just taken" try one of the offered
alternatives, then confirm with their own email. Printed: bookings made (must be 200), double
bookings (must be 0, counted in SQL), errors, p50/p99 latency of hold and confirm, bookings per
second, and the ratio to pgbench's TPS for an equivalent single-row transaction (an INSERT into a
table with the same unique constraint) measured in the same run. For scale, it also measures a
bare Flask endpoint under the same gunicorn configuration (needs wrk): no Flask app on the
machine answers more requests than that.

    .venv/bin/python bench/p2_booking_rush.py [--clients 500] [--workers 4]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench]

The database named is emptied. Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from terminvergabe import create_app
from terminvergabe.booking.models import (
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
from terminvergabe.booking.schedules import holiday_name
from terminvergabe.db import db

FREE_TIMES = 200
SLOTS_PER_DAY = 50  # 08:00-16:20 in 10-minute slots
MAX_ATTEMPTS = 12  # per client; bounded


def build_office(app) -> tuple[str, int]:
    """One counter, one 10-minute service, exactly FREE_TIMES free times on 4 open days."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        city = Municipality(slug="rush", name="Stadt Ansturm")
        office = Office(
            municipality=city,
            slug="rush",
            time_zone="Europe/Berlin",
            name="Bürgerbüro Ansturm",
            bundesland="NW",
            slot_minutes=10,
            horizon_days=14,
            lead_minutes=0,
            hold_minutes=10,
            max_active_per_email=1,
        )
        service = Service(municipality=city, name="Personalausweis beantragen")
        offer = Offer(office=office, service=service, duration_minutes=10)
        counter = Counter(office=office, name="Schalter 1", skills=[service])
        staff = StaffMember(municipality=city, name="Sachbearbeitung")
        staff.memberships.append(OfficeMembership(office=office, roles="clerk"))
        db.session.add_all([office, offer, counter, staff])
        for weekday in range(7):
            db.session.add(
                OpeningHours(
                    office=office,
                    weekday=weekday,
                    start_local=dt.time(8),
                    end_local=dt.time(16, 20),
                )
            )
            db.session.add(
                ShiftPattern(
                    staff_member=staff,
                    counter=counter,
                    weekday=weekday,
                    start_local=dt.time(8),
                    end_local=dt.time(16, 20),
                )
            )
        today = dt.datetime.now(office.zone).date()
        open_days = []
        for offset in range(1, 15):
            day = today + dt.timedelta(days=offset)
            if len(open_days) < FREE_TIMES // SLOTS_PER_DAY and not holiday_name(office, day):
                open_days.append(day)
            else:
                db.session.add(Closure(office=office, first_day=day, last_day=day))
        db.session.add(Closure(office=office, first_day=today, last_day=today))
        db.session.commit()
        return office.slug, service.id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    database: str, port: int, workers: int, extra_env: dict | None = None
) -> subprocess.Popen:
    """gunicorn in its own process group (so that a fault test can kill it whole); its log goes
    to a temporary file that is shown if it does not come up."""
    env = dict(
        os.environ,
        TERMINVERGABE_DATABASE_URL=database,
        TERMINVERGABE_BIND=f"127.0.0.1:{port}",
        TERMINVERGABE_WORKERS=str(workers),
        TERMINVERGABE_THREADS="16",
        # A client retries up to MAX_ATTEMPTS times within seconds and solves no proof-of-work:
        # the rate limits and the proof-of-work would stop the rush, not measure the booking.
        # The fault tests' clients all come from 127.0.0.1, hence no cap on open holds here;
        # the rush's clients have an address each and run with the default cap.
        TERMINVERGABE_RATELIMIT_ENABLED="false",
        TERMINVERGABE_ALTCHA_REQUIRED_DEFAULT="false",
        TERMINVERGABE_FAIRNESS_MAX_OPEN_HOLDS="100000",
        TERMINVERGABE_HEALTH_REQUIRES_SCHEDULER="false",
        TERMINVERGABE_SECRET_KEY="bench-secret",
        TERMINVERGABE_SQLALCHEMY_ENGINE_OPTIONS=(
            '{"pool_size": 16, "max_overflow": 8, "pool_pre_ping": true}'
        ),
    )
    env.update(extra_env or {})
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115  (lives as long as the server)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    if wait_for_workers(Path(log.name), workers):
        status, _body = request(port, "GET", "/healthz")
        if status == 200:
            return process
    process.kill()
    raise SystemExit("gunicorn did not come up: " + Path(log.name).read_text()[-2000:])


def wait_for_workers(log: Path, workers: int, seconds: float = 120) -> bool:
    """Wait until every worker has loaded the app (gunicorn.conf.py logs "Worker ready"): a
    measurement must not include the start-up, nor run while a worker is still importing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count("Worker ready") >= workers:
            return True
        time.sleep(0.2)
    return False


def request(port, method, path, body=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        if own:
            conn.close()


def free_times(port, slug, service_id) -> list[str]:
    status, body = request(port, "GET", f"/api/v1/offices/{slug}/days?services={service_id}")
    times = []
    for day in body["days"]:
        _s, day_body = request(
            port, "GET", f"/api/v1/offices/{slug}/times?services={service_id}&date={day}"
        )
        times += [t["start"] for t in day_body["times"]]
    return times


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.booked = 0
        self.last_booked_at = 0.0  # perf_counter() of the latest booking
        self.gave_up = 0
        self.errors: list[str] = []
        self.latency = {"hold": [], "confirm": []}

    def timed(self, kind, call):
        started = time.perf_counter()
        result = call()
        with self.lock:
            self.latency[kind].append(time.perf_counter() - started)
        return result


def client_address(number: int) -> str:
    """Each client its own loopback address (all of 127.0.0.0/8 is local on Linux): 500
    citizens come from 500 addresses, so the per-address defences count each one alone."""
    return f"127.0.{1 + number // 250}.{2 + number % 250}"


def client(number, port, slug, service_id, times, barrier, results: Results, one_address=False):
    rng = random.Random(number)
    address = "127.0.0.1" if one_address else client_address(number)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(address, 0))
    wanted = rng.choice(times)
    barrier.wait()
    try:
        for _attempt in range(MAX_ATTEMPTS):
            hold_body = {"services": [{"id": service_id, "quantity": 1}], "start": wanted}
            status, body = results.timed(
                "hold",
                lambda b=hold_body: request(port, "POST", f"/api/v1/offices/{slug}/holds", b, conn),
            )
            if status == 201:
                contact = {"name": f"Client {number}", "email": f"client{number}@example.org"}
                status, body = results.timed(
                    "confirm",
                    lambda t=body["token"], c=contact: request(
                        port, "POST", f"/api/v1/appointments/{t}/confirm", c, conn
                    ),
                )
                if status == 200:
                    with results.lock:
                        results.booked += 1
                        results.last_booked_at = time.perf_counter()
                    return
            elif status == 409 and body["error"]["code"] == "slot_taken":
                alternatives = body["error"].get("alternatives") or []
                if not alternatives:
                    break
                wanted = rng.choice(alternatives)["start"]
                continue
            with results.lock:
                results.errors.append(f"{status} {body}")
            return
        with results.lock:
            results.gave_up += 1
    except (OSError, http.client.HTTPException) as error:
        with results.lock:
            results.errors.append(repr(error))
    finally:
        conn.close()


def double_bookings(app) -> int:
    with app.app_context():
        return db.session.execute(
            sa.text(
                "SELECT count(*) FROM appointment a JOIN appointment b ON a.id < b.id"
                " AND a.counter_id = b.counter_id"
                " AND a.start_at < b.end_at AND b.start_at < a.end_at"
                " WHERE a.status = 'confirmed' AND b.status = 'confirmed'"
            )
        ).scalar_one()


def pgbench_tps(database: str, clients: int, seconds: int) -> float:
    """TPS of one-row INSERT transactions against a unique constraint like slot_claim's."""
    url = sa.engine.make_url(database)
    dsn = [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        url.database,
    ]
    subprocess.run(
        [
            "psql",
            "-q",
            *dsn,
            "-c",
            "DROP TABLE IF EXISTS bench_claim; CREATE TABLE bench_claim (id serial "
            "PRIMARY KEY, counter_id int, start_at timestamptz, UNIQUE (counter_id, "
            "start_at))",
        ],
        check=True,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(
            "\\set u random(1, 2000000000)\n"
            "INSERT INTO bench_claim (counter_id, start_at) VALUES (1, to_timestamp(:u))"
            " ON CONFLICT DO NOTHING;\n"
        )
    out = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            script.name,
            *dsn,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(script.name)
    subprocess.run(["psql", "-q", *dsn, "-c", "DROP TABLE bench_claim"], check=True)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    parser.add_argument(
        "--one-address",
        action="store_true",
        help="all clients from 127.0.0.1, as behind one NAT or proxy (the cap on open holds "
        "per client is then lifted)",
    )
    args = parser.parse_args()

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database, "SECRET_KEY": "bench"})
    slug, service_id = build_office(app)
    port = free_port()
    cap = "100000" if args.one_address else "3"
    server = start_gunicorn(
        args.database, port, args.workers, {"TERMINVERGABE_FAIRNESS_MAX_OPEN_HOLDS": cap}
    )
    try:
        times = free_times(port, slug, service_id)
        results = Results()
        barrier = threading.Barrier(args.clients)
        threads = [
            threading.Thread(
                target=client,
                args=(n, port, slug, service_id, times, barrier, results, args.one_address),
            )
            for n in range(args.clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    doubles = double_bookings(app)
    with app.app_context():
        db.engine.dispose()
    tps = pgbench_tps(args.database, clients=min(args.clients, 50), seconds=5)
    ceiling = bare_flask_rate(args.workers)
    rate = results.booked / elapsed
    print(
        f"P2 booking rush: {args.clients} clients, {len(times)} free times, "
        f"gunicorn {args.workers} workers x 16 threads (gthread), PostgreSQL, "
        + ("all from one address" if args.one_address else "one address each")
    )
    print(f"  bookings made      {results.booked} (must be {len(times)})")
    print(f"  double bookings    {doubles} (must be 0)")
    print(
        f"  errors             {len(results.errors)}"
        + (f"  first: {results.errors[0][:200]}" if results.errors else "")
    )
    print(f"  gave up            {results.gave_up} (no time left for them)")
    for kind, values in results.latency.items():
        print(
            f"  {kind:<8} latency   p50 {percentile(values, 0.5) * 1000:7.1f} ms   "
            f"p99 {percentile(values, 0.99) * 1000:7.1f} ms   (n={len(values)})"
        )
    until_booked = (results.last_booked_at - started) if results.booked else elapsed
    print(
        f"  wall time          {elapsed:.2f} s (the last booking after {until_booked:.2f} s; "
        "then the others learn that no time is left)"
    )
    print(
        f"  bookings/s         {rate:.1f} over the whole rush, "
        f"{results.booked / until_booked:.1f} until the last booking"
    )
    print(
        f"  pgbench baseline   {tps:.0f} TPS (single-row INSERT, unique constraint, "
        f"{min(args.clients, 50)} clients)"
    )
    print(
        f"  ratio              {rate / tps:.1%} of pgbench TPS (a booking is two HTTP requests,"
        " hold and confirm, each one transaction of 10-20 statements; pgbench's is one statement)"
    )
    requests = len(results.latency["hold"]) + len(results.latency["confirm"])
    print(
        f"  requests/s         {requests / elapsed:.1f} (holds, refused ones included, and "
        f"confirmations): {requests / elapsed / tps:.1%} of pgbench TPS"
    )
    print(
        f"  bare Flask endpoint {ceiling:.0f} requests/s (same gunicorn configuration, no "
        f"database; wrk): no app on this machine answers more, so a booking of two requests "
        f"stays below {ceiling / 2:.0f}/s = {ceiling / 2 / tps:.0%} of pgbench"
    )


def bare_flask_rate(workers: int) -> float:
    """Requests per second of a bare Flask endpoint under the rush's gunicorn configuration:
    the most any Flask app can answer here, whatever it does per request."""
    from bench.p4_day_page import serve, wrk  # p4 imports this module

    port = free_port()
    server = serve("bench.bare_app:app", port, workers, {}, threads=16)
    try:
        rate, _info = wrk(f"http://127.0.0.1:{port}/", seconds=5, connections=64)
        return rate
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
