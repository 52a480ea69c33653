"""P3: latency from "call next" (the clerk's POST) to the call event arriving on N open
waiting-room display streams (Server-Sent Events), p50 and p99, against a baseline of the same
measurement with one open stream, in the same run. Also printed: the display's new state that
follows each call, the clerk's POST itself, and the CPU time of the benchmark client.

    .venv/bin/python bench/p3_call_display.py [--streams 200] [--rounds 30] [--workers 2]
        [--threads N] [--client selector|threads]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench | --database sqlite]

Default: PostgreSQL (the database given is emptied), two gunicorn workers with the production
configuration of gunicorn.conf.py, so events cross workers via LISTEN/NOTIFY. `--database sqlite`
uses a temporary SQLite file and one worker (in-process broker). The client reads every stream
in one thread (epoll); `--client threads` uses one Python thread per stream instead, whose own
cost shows in the figures. Only 127.0.0.1 is contacted; the run stops by itself.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import http.client
import os
import selectors
import socket
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
from terminvergabe.counter import checkin  # noqa: E402
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
            checkin.walk_in(office, office.services[0].id, now)
        counter_id = office.counters[0].id
        db.session.commit()
        db.engine.dispose()
    app.extensions["event_broker"].close()
    return {"token": token, "counter_id": counter_id}


def serve(database: str, port: int, workers: int, threads: int | None) -> subprocess.Popen:
    env = dict(
        os.environ,
        TERMINVERGABE_DATABASE_URL=database,
        TERMINVERGABE_SECRET_KEY="bench",
        TERMINVERGABE_WTF_CSRF_ENABLED="false",
        TERMINVERGABE_BIND=f"127.0.0.1:{port}",
        TERMINVERGABE_WORKERS=str(workers),
        # Counters and screens are not rate-limited; with several workers the app refuses
        # in-memory limit counts that each worker would keep on its own.
        TERMINVERGABE_RATELIMIT_ENABLED="false",
    )
    if threads:
        env["TERMINVERGABE_THREADS"] = str(threads)
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
    """`--client threads`: one Python thread per stream (the cost of the client shows in the
    figures: 200 threads compete for the client's interpreter lock)."""

    def __init__(self, port: int, path: str, ready: threading.Barrier):
        super().__init__(daemon=True)
        self.port, self.path, self.ready = port, path, ready
        self.arrivals: list[float] = []
        self.states: list[float] = []
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
            elif line.startswith(b"event: state"):
                self.states.append(time.perf_counter())
                if not ready_sent:
                    ready_sent = True
                    self.ready.wait()
        conn.close()


class ThreadedClient:
    def __init__(self, port: int, path: str, streams: int):
        self.ready = threading.Barrier(streams + 1)
        self.displays = [Display(port, path, self.ready) for _ in range(streams)]
        self.cpu = 0.0

    def start(self) -> None:
        started = time.process_time()
        for display in self.displays:
            display.start()
        self.ready.wait(timeout=120)
        self.cpu_start = started

    def calls(self) -> list[list[float]]:
        return [d.arrivals for d in self.displays]

    def states(self) -> list[list[float]]:
        return [d.states[1:] for d in self.displays]  # the first is the snapshot on connect

    def stop(self) -> None:
        self.cpu = time.process_time() - self.cpu_start  # the whole process: all its threads
        for display in self.displays:
            display.stop = True


class Stream:
    """One display stream read by `SelectorClient`: only the arrival times of the events."""

    def __init__(self, port: int, path: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        self.sock.setblocking(False)
        self.tail = b""
        self.calls: list[float] = []
        self.states: list[float] = []
        self.since_commit: list[float] = []  # ms from the event's id (its commit) to arrival
        self.in_call = False

    def received(self, data: bytes, at: float, wall: float) -> None:
        lines = (self.tail + data).split(b"\n")
        self.tail = lines.pop()  # an unfinished line, completed by the next read
        if len(self.tail) > 40:
            self.tail = b"-"  # the middle of a data line: no event name
        for line in lines:
            if line == b"event: call":
                self.calls.append(at)
                self.in_call = True
            elif line == b"event: state":
                self.states.append(at)
            elif self.in_call and line.startswith(b"id: "):
                # Event ids begin with the milliseconds of their announcement in the server's
                # transaction (same machine, same clock).
                self.since_commit.append(wall * 1000 - int(line[4:].split(b"-")[0]))
                self.in_call = False


class SelectorClient(threading.Thread):
    """`--client selector` (default): every stream in one thread with epoll, timestamped on
    arrival; its own CPU time is measured and reported as the client's cost."""

    def __init__(self, port: int, path: str, streams: int):
        super().__init__(daemon=True)
        self.port, self.path, self.count = port, path, streams
        self.streams: list[Stream] = []
        self.selector = selectors.DefaultSelector()
        self.running = True
        self.cpu = 0.0
        self.turned_away = 0

    def connect(self) -> Stream:
        stream = Stream(self.port, self.path)
        self.selector.register(stream.sock, selectors.EVENT_READ, stream)
        return stream

    def start(self) -> None:
        self.streams = [self.connect() for _ in range(self.count)]
        super().start()
        deadline = time.monotonic() + 120
        while any(not s.states for s in self.streams):
            if time.monotonic() > deadline:
                raise SystemExit("not every stream got its first snapshot")
            time.sleep(0.01)

    def run(self) -> None:
        started = time.thread_time()
        while self.running:
            for key, _ in self.selector.select(timeout=0.2):
                stream = key.data
                try:
                    data = stream.sock.recv(262144)
                except BlockingIOError:
                    continue
                at, wall = time.perf_counter(), time.time()
                if not data:
                    self.selector.unregister(stream.sock)
                    stream.sock.close()
                    if not stream.states:  # its worker serves its most streams: come again
                        self.turned_away += 1
                        time.sleep(0.1)
                        self.streams[self.streams.index(stream)] = self.connect()
                    continue
                stream.received(data, at, wall)
        self.cpu = time.thread_time() - started

    def calls(self) -> list[list[float]]:
        return [s.calls for s in self.streams]

    def states(self) -> list[list[float]]:
        return [s.states[1:] for s in self.streams]

    def since_commit(self) -> list[float]:
        return [ms for s in self.streams for ms in s.since_commit]

    def stop(self) -> None:
        self.running = False
        self.join(timeout=5)
        for stream in self.streams:
            stream.sock.close()
        self.selector.close()


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


def post(port: int, path: str, cookie: str) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, "", {"Cookie": cookie, "Content-Length": "0"})
    conn.getresponse().read()
    conn.close()
    return (time.perf_counter() - started) * 1000


def page(port: int) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/staff/login")
    conn.getresponse().read()
    conn.close()
    return (time.perf_counter() - started) * 1000


def _first_at_or_after(times: list[float], moment: float) -> float | None:
    index = bisect.bisect_left(times, moment)
    return times[index] if index < len(times) else None


def measure(port: int, setup: dict, streams: int, rounds: int, cookie: str, args, first: bool):
    """`rounds` calls with `streams` displays open: the latency of the call event and of the
    display's new state after it on every stream, the clerk's POST, and the client's CPU."""
    path = f"/display/{setup['token']}/events"
    client = (SelectorClient if args.client == "selector" else ThreadedClient)(port, path, streams)
    client.start()
    time.sleep(0.5)
    counter = f"/counter/{setup['counter_id']}"
    sent, posts = [], []
    for number in range(rounds):
        action = "call-next" if first and number == 0 else "recall"
        sent.append(time.perf_counter())
        posts.append(post(port, f"{counter}/{action}", cookie))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            calls, states = client.calls(), client.states()
            if all(
                len(c) > number and _first_at_or_after(s, c[number]) is not None
                for c, s in zip(calls, states, strict=True)
            ):
                break
            time.sleep(0.002)
        time.sleep(0.05)
    pages = [page(port) for _ in range(10)]  # the streams must not starve page requests
    client.stop()
    result = {
        "calls": [],
        "states": [],
        "posts": posts,
        "pages": pages,
        "cpu_ms": client.cpu * 1000 / rounds,
        "since_commit": getattr(client, "since_commit", list)(),
        "turned_away": getattr(client, "turned_away", 0),
    }
    for calls, states in zip(client.calls(), client.states(), strict=True):
        for number, arrived in enumerate(calls[:rounds]):
            result["calls"].append((arrived - sent[number]) * 1000)
            state = _first_at_or_after(states, arrived)
            if state is not None:
                result["states"].append((state - sent[number]) * 1000)
    result["missing"] = streams * rounds - len(result["calls"])
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _line(label: str, values: list[float]) -> str:
    return (
        f"  {label:<34} p50 {statistics.median(values):7.1f} ms   "
        f"p99 {percentile(values, 0.99):7.1f} ms   max {max(values):7.1f} ms   n {len(values)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int, help="per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--client", choices=["selector", "threads"], default="selector")
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = args.database == "sqlite"
        database = f"sqlite:///{tmp}/p3.sqlite3" if sqlite else args.database
        args.workers = args.workers or (1 if sqlite else 2)
        setup = prepare(database)
        port = free_port()
        server = serve(database, port, args.workers, args.threads)
        try:
            cookie = login(port)
            base = measure(port, setup, 1, args.rounds, cookie, args, first=True)
            many = measure(port, setup, args.streams, args.rounds, cookie, args, first=False)
        finally:
            server.terminate()  # open streams would hold a graceful stop for its full timeout
            try:
                server.wait(timeout=3)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
    print(
        f"P3 call -> display ({'PostgreSQL' if 'postgresql' in database else 'SQLite'}, "
        f"{args.workers} gunicorn worker(s), {args.rounds} calls, {args.client} client, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    for label, result in (("baseline, 1 stream", base), (f"{args.streams} streams", many)):
        print(
            f" {label}: {result['missing']} call events missing, "
            f"{result['turned_away']} connections turned away (worker full) and repeated"
        )
        print(_line("call event on every stream", result["calls"]))
        if result["since_commit"]:
            print(_line("  of it from the commit on (fan-out)", result["since_commit"]))
        print(_line("new display state after it", result["states"]))
        print(_line("the clerk's POST (its response)", result["posts"]))
        print(_line("a page (login form) meanwhile", result["pages"]))
        print(f"  client CPU per call, all streams:  {result['cpu_ms']:.1f} ms")
    print(
        f" ratio p99 {args.streams} streams / baseline (call event): "
        f"{percentile(many['calls'], 0.99) / percentile(base['calls'], 0.99):.1f}x   "
        "(target p99 <= 100 ms)"
    )


if __name__ == "__main__":
    main()
