"""P3: latency from "call next" (the clerk's POST) to the call event arriving on N open
waiting-room display streams (Server-Sent Events), p50 and p99, against a baseline of the same
measurement with one open stream, in the same run.

    .venv/bin/python bench/p3_call_display.py [--streams 200] [--rounds 30] [--workers 1]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Default: SQLite in a temporary folder, one gunicorn worker (in-process broker). With
--database on PostgreSQL and --workers > 1 the events cross workers via LISTEN/NOTIFY.
Only 127.0.0.1 is contacted; the run stops by itself. The database given is emptied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from terminvergabe import create_app  # noqa: E402
from terminvergabe.auth import operations as auth_ops  # noqa: E402
from terminvergabe.auth.models import DeviceKind  # noqa: E402
from terminvergabe.booking.models import Role  # noqa: E402
from terminvergabe.counter import operations as ops  # noqa: E402
from terminvergabe.counter.models import QueueSettings  # noqa: E402
from terminvergabe.db import db  # noqa: E402
from tests import factories  # noqa: E402

PASSWORD = "bench password 123"  # noqa: S105 - a throwaway account in a throwaway database


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database: str) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        now = dt.datetime.now(dt.UTC)
        office = factories.create_office(slug="bench")
        db.session.add(QueueSettings(office_id=office.id, max_calls=100_000))
        auth_ops.create_staff("clerk", PASSWORD, "Clerk", [Role.CLERK], office)
        _, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Bench", now)
        for _ in range(3):
            ops.walk_in(office, office.services[0].id, now)
        counter_id = office.counters[0].id
        db.session.commit()
        db.engine.dispose()
    app.extensions["counter_broker"].close()
    return {"token": token, "counter_id": counter_id}


def serve(database: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        TERMINVERGABE_DATABASE_URL=database,
        TERMINVERGABE_SECRET_KEY="bench",
        TERMINVERGABE_WTF_CSRF_ENABLED="false",
        TERMINVERGABE_BIND=f"127.0.0.1:{port}",
        TERMINVERGABE_WORKERS=str(workers),
        TERMINVERGABE_THREADS=str(threads),
    )
    process = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            "/dev/null",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/staff/login")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


class Display(threading.Thread):
    """One open display stream; records when each call event arrives."""

    def __init__(self, port: int, path: str, ready: threading.Barrier):
        super().__init__(daemon=True)
        self.port, self.path, self.ready = port, path, ready
        self.arrivals: list[float] = []
        self.stop = False

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", self.path, headers={"Accept": "text/event-stream"})
        response = conn.getresponse()
        ready_sent = False
        while not self.stop:
            line = response.fp.readline()
            if not line:
                break
            if line.startswith(b"event: call"):
                self.arrivals.append(time.perf_counter())
            elif line.startswith(b"event: state") and not ready_sent:
                ready_sent = True
                self.ready.wait()
        conn.close()


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = urllib.parse.urlencode({"login": "clerk", "password": PASSWORD})
    conn.request(
        "POST",
        "/staff/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    response.read()
    return response.getheader("Set-Cookie").split(";", 1)[0]


def post(port: int, path: str, cookie: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, "", {"Cookie": cookie, "Content-Length": "0"})
    conn.getresponse().read()
    conn.close()


def measure(port: int, setup: dict, streams: int, rounds: int, cookie: str, first: bool):
    ready = threading.Barrier(streams + 1)
    path = f"/display/{setup['token']}/events"
    displays = [Display(port, path, ready) for _ in range(streams)]
    for display in displays:
        display.start()
    ready.wait(timeout=60)
    time.sleep(0.5)
    counter = f"/counter/{setup['counter_id']}"
    sent = []
    for number in range(rounds):
        action = "call-next" if first and number == 0 else "recall"
        sent.append(time.perf_counter())
        post(port, f"{counter}/{action}", cookie)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(len(d.arrivals) <= number for d in displays):
            time.sleep(0.002)
        time.sleep(0.05)
    latencies = []
    for display in displays:
        display.stop = True
        for number, arrived in enumerate(display.arrivals[:rounds]):
            latencies.append((arrived - sent[number]) * 1000)
    missing = streams * rounds - len(latencies)
    return latencies, missing


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or f"sqlite:///{tmp}/p3.sqlite3"
        setup = prepare(database)
        port = free_port()
        threads = args.streams // args.workers + 50
        server = serve(database, port, args.workers, threads)
        try:
            cookie = login(port)
            base, base_missing = measure(port, setup, 1, args.rounds, cookie, first=True)
            many, many_missing = measure(port, setup, args.streams, args.rounds, cookie, False)
        finally:
            server.terminate()  # open streams would hold a graceful stop for its full timeout
            try:
                server.wait(timeout=3)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
    print(
        f"P3 call -> display ({'PostgreSQL' if 'postgresql' in database else 'SQLite'}, "
        f"{args.workers} gunicorn worker(s), {args.rounds} calls)"
    )
    for label, values, missing in (
        ("baseline, 1 stream", base, base_missing),
        (f"{args.streams} streams", many, many_missing),
    ):
        print(
            f"  {label:>20}: p50 {statistics.median(values):7.1f} ms   "
            f"p99 {percentile(values, 0.99):7.1f} ms   max {max(values):7.1f} ms   "
            f"events {len(values)}  missing {missing}"
        )
    print(
        f"  ratio p99 {args.streams} streams / baseline: "
        f"{percentile(many, 0.99) / percentile(base, 0.99):.1f}x   (target p99 <= 100 ms)"
    )


if __name__ == "__main__":
    main()
