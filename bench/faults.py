"""Fault tests against a running server: SIGKILL in the middle of a booking rush, PostgreSQL
restarted under load, SMTP down during a rush. Each prints PASS or FAIL with its figures; the
exit code is the number of failures.

    .venv/bin/python bench/faults.py        (as root: it makes a throwaway PostgreSQL cluster)

Nothing outside 127.0.0.1 is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.p2_booking_rush import build_office, free_port, free_times, request, start_gunicorn
from terminvergabe import create_app
from terminvergabe.db import db

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RUSH_SECONDS = 12
CLIENTS = 40


class Cluster:
    """A throwaway PostgreSQL server of our own, so that restarting it disturbs nobody."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="tv-faults-"))
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self._pg("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool, *args):
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args],
            check=True,
            capture_output=True,
        )

    def _ctl(self, action, *extra):
        self._pg("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", *extra, action)

    def start(self):
        self._ctl(
            "start",
            "-w",
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
            " -c max_connections=200",
        )

    def restart(self):
        self._ctl(
            "restart",
            "-w",
            "-m",
            "fast",
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
            " -c max_connections=200",
        )

    def stop(self):
        self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class Rush:
    """Clients booking through the API until the time is up; connection errors are retried
    (the server may be down for a moment), everything else is counted: 503 (the database could
    not be reached, the client is asked to retry) apart from other 5xx (a fault of the app)."""

    def __init__(self, port_ref, slug, service_id, times):
        self.port_ref, self.slug, self.service_id, self.times = port_ref, slug, service_id, times
        self.lock = threading.Lock()
        self.confirmed, self.unavailable = 0, 0
        self.answered_503, self.other_5xx = 0, 0
        self.last_success = 0.0
        self.stop_at = time.monotonic() + RUSH_SECONDS

    def run(self):
        threads = [threading.Thread(target=self._client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        return threads

    def _client(self, number):
        rng = random.Random(number)
        attempt = 0
        while time.monotonic() < self.stop_at and attempt < 500:
            attempt += 1
            port = self.port_ref[0]
            try:
                start = rng.choice(self.times)
                body = {"services": [{"id": self.service_id, "quantity": 1}], "start": start}
                status, held = request(port, "POST", f"/api/v1/offices/{self.slug}/holds", body)
                if status != 201:
                    self._count(status)
                    continue
                contact = {"name": f"Client {number}", "email": f"c{number}-{attempt}@example.org"}
                status, _ = request(
                    port, "POST", f"/api/v1/appointments/{held['token']}/confirm", contact
                )
                self._count(status)
            except (OSError, http.client.HTTPException, ValueError):
                with self.lock:
                    self.unavailable += 1
                time.sleep(0.1)

    def _count(self, status):
        with self.lock:
            if status == 200:
                self.confirmed += 1
                self.last_success = time.monotonic()
            elif status == 503:
                self.answered_503 += 1
            elif status >= 500:
                self.other_5xx += 1


def consistency(app) -> dict:
    """What a crash must never leave behind."""
    with app.app_context():
        q = lambda text: db.session.execute(sa.text(text)).scalar_one()  # noqa: E731
        result = {
            "appointments without services": q(
                "SELECT count(*) FROM appointment a WHERE NOT EXISTS "
                "(SELECT 1 FROM appointment_item i WHERE i.appointment_id = a.id)"
            ),
            "confirmed without their claims": q(
                "SELECT count(*) FROM appointment a WHERE a.status = 'confirmed' AND "
                "(SELECT count(*) FROM slot_claim c WHERE c.appointment_id = a.id "
                " AND c.expires_at IS NULL) * interval '5 minutes' <> a.end_at - a.start_at"
            ),
            "confirmed without a queued mail": q(
                "SELECT count(*) FROM appointment a WHERE a.status = 'confirmed' AND NOT EXISTS "
                "(SELECT 1 FROM outbox_message m WHERE m.appointment_id = a.id)"
            ),
            "double bookings": q(
                "SELECT count(*) FROM appointment a JOIN appointment b ON a.id < b.id "
                "AND a.counter_id = b.counter_id AND a.start_at < b.end_at "
                "AND b.start_at < a.end_at WHERE a.status = 'confirmed' "
                "AND b.status = 'confirmed'"
            ),
            "confirmed": q("SELECT count(*) FROM appointment WHERE status = 'confirmed'"),
        }
        db.session.remove()
        return result


def report(name, ok, figures) -> int:
    print(f"{'PASS' if ok else 'FAIL'}  {name}")
    for key, value in figures.items():
        print(f"      {key}: {value}")
    return 0 if ok else 1


def killed_server(cluster, app, slug, service_id, times) -> int:
    port = free_port()
    server = start_gunicorn(cluster.url, port, workers=2)
    port_ref = [port]
    rush = Rush(port_ref, slug, service_id, times)
    threads = rush.run()
    time.sleep(3)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    killed_at = rush.confirmed
    time.sleep(1)
    server = start_gunicorn(cluster.url, port, workers=2)
    for thread in threads:
        thread.join(timeout=60)
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    state = consistency(app)
    ok = (
        state["appointments without services"] == 0
        and state["confirmed without their claims"] == 0
        and state["confirmed without a queued mail"] == 0
        and state["double bookings"] == 0
        and rush.confirmed > killed_at
    )
    return report(
        "server killed with SIGKILL during a booking rush, then restarted",
        ok,
        {
            **state,
            "bookings before the kill": killed_at,
            "bookings in all": rush.confirmed,
            "requests refused while down": rush.unavailable,
            "503 answers (database unreachable)": rush.answered_503,
            "other 5xx answers": rush.other_5xx,
        },
    )


def restarted_database(cluster, app, slug, service_id, times) -> int:
    port = free_port()
    server = start_gunicorn(cluster.url, port, workers=2)
    rush = Rush([port], slug, service_id, times)
    threads = rush.run()
    time.sleep(3)
    before = rush.confirmed
    cluster.restart()
    restarted_at = time.monotonic()
    for thread in threads:
        thread.join(timeout=60)
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    state = consistency(app)
    recovered = rush.last_success > restarted_at
    ok = (
        recovered and state["double bookings"] == 0 and state["confirmed without their claims"] == 0
    )
    return report(
        "PostgreSQL restarted under load; the app is not restarted",
        ok,
        {
            "bookings before the restart": before,
            "bookings in all": rush.confirmed,
            "bookings after the restart": "yes" if recovered else "none",
            "503 answers (during the restart)": rush.answered_503,
            "other 5xx answers": rush.other_5xx,
            **state,
        },
    )


def mail_outage(cluster, app) -> int:
    """Everything booked while SMTP was down is queued; once it is back each mail goes out
    exactly once."""
    from aiosmtpd.controller import Controller

    from terminvergabe.notify import tasks
    from terminvergabe.time import now

    smtp_port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_SUPPRESS_SEND=False)
    with app.app_context():
        tasks.send_outbox(now())  # SMTP is down: nothing may be lost
        db.session.remove()
        queued = db.session.execute(
            sa.text("SELECT count(*) FROM outbox_message WHERE status = 'queued'")
        ).scalar_one()
        db.session.remove()

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append(envelope.content)
            return "250 OK"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with app.app_context():
            later = now() + __import__("datetime").timedelta(hours=2)  # past every backoff
            tasks.send_outbox(later)
            tasks.send_outbox(later)  # a second run sends nothing again
            db.session.remove()
    finally:
        controller.stop()
    ids = [
        m.split(b"Message-ID:", 1)[1].split(b"\n", 1)[0].strip()
        for m in handler.messages
        if b"Message-ID:" in m
    ]
    ok = queued > 0 and len(handler.messages) == queued and len(set(ids)) == len(ids)
    return report(
        "SMTP down during the rush, then back",
        ok,
        {
            "mails queued while SMTP was down": queued,
            "mails received after it came back": len(handler.messages),
            "distinct Message-IDs": len(set(ids)),
        },
    )


def main() -> int:
    cluster = Cluster()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": cluster.url, "SECRET_KEY": "faults"})
        slug, service_id = build_office(app)
        port = free_port()
        server = start_gunicorn(cluster.url, port, workers=1)
        times = free_times(port, slug, service_id)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        failures = killed_server(cluster, app, slug, service_id, times)
        slug, service_id = build_office(app)  # free times again for the next rush
        failures += restarted_database(cluster, app, slug, service_id, times)
        failures += mail_outage(cluster, app)
        with app.app_context():
            db.engine.dispose()
        return failures
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
