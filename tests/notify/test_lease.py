"""Several schedulers, one active: the lease in the database (notify/lease.py)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from terminvergabe.db import db
from terminvergabe.notify import lease, scheduler
from terminvergabe.notify.models import SchedulerHeartbeat, SchedulerLease

LEASE_SECONDS = 6


def test_one_holder_at_a_time_and_a_lapsed_lease_is_taken(app_ctx, now):
    first, second = lease.Lease("a"), lease.Lease("b")
    assert first.renew(now) is True
    assert second.renew(now) is False  # taken: b stands by
    assert first.renew(now + dt.timedelta(seconds=25)) is True  # renewed in time
    lapsed = now + dt.timedelta(seconds=25) + lease.duration()
    assert second.renew(lapsed) is True  # a stopped renewing: b takes over
    assert first.held(lapsed) is False
    assert first.renew(lapsed) is False
    assert lease.current_holder()[0] == "b"


def test_a_released_lease_is_taken_at_once(app_ctx, now):
    first, second = lease.Lease("a"), lease.Lease("b")
    first.renew(now)
    first.release(now)
    assert second.renew(now) is True


def test_a_standby_scheduler_runs_no_job(app_ctx, now):
    ran = []
    job = scheduler.Job("probe", ran.append, 1)
    active, standby = lease.Lease("a"), lease.Lease("b")
    active.renew(now)
    standby.renew(now)
    assert scheduler.run_job(app_ctx, job, standby) is True
    assert ran == []
    assert scheduler.run_job(app_ctx, job, active) is True
    assert ran == [now]
    beat = db.session.get(SchedulerHeartbeat, "probe")
    assert beat.holder == "a"


class Scheduler:
    """`flask scheduler --job queue_reminders` in a process of its own, its output read."""

    def __init__(self, app):
        env = dict(
            os.environ,
            TERMINVERGABE_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            TERMINVERGABE_SECRET_KEY="test-key",
            TERMINVERGABE_SCHEDULER_LEASE_SECONDS=str(LEASE_SECONDS),
            TERMINVERGABE_SCHEDULER_RENEW_SECONDS="1",
            TERMINVERGABE_REMINDER_INTERVAL_SECONDS="1",
        )
        command = [sys.executable, "-m", "flask", "--app", "terminvergabe", "scheduler"]
        self.process = subprocess.Popen(  # noqa: S603
            [*command, "--job", "queue_reminders"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)
            if line.startswith("scheduler:"):
                self.started.set()

    @property
    def tag(self) -> str:
        return f":{self.process.pid}:"

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self.reader.join(timeout=30)  # the output ends with the process
        self.process.stdout.close()


def _holder() -> str:
    # Each look in a transaction of its own, ended at once: on SQLite every transaction holds
    # the write lock (BEGIN IMMEDIATE), which the schedulers need.
    holder = db.session.scalar(sa.select(SchedulerLease.holder)) or ""
    db.session.rollback()
    return holder


def _beats() -> dict[str, str]:
    rows = db.session.execute(sa.select(SchedulerHeartbeat.name, SchedulerHeartbeat.holder))
    beats = {name: holder for name, holder in rows}
    db.session.rollback()
    return beats


def _wait_for(condition, seconds: float) -> float:
    """Poll until `condition()` holds; how long it took (fails after `seconds`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "condition not met in time"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.concurrency
def test_two_schedulers_one_runs_the_jobs_the_other_takes_over_when_it_dies(app, app_ctx):
    db.session.commit()
    first = Scheduler(app)
    second = None
    try:
        _wait_for(lambda: first.tag in _holder() or first.process.poll() is not None, 60)
        assert first.process.poll() is None, first.output
        _wait_for(lambda: first.tag in _beats().get("queue_reminders", ""), 30)
        second = Scheduler(app)
        assert second.started.wait(60), second.output
        time.sleep(3)  # the second tries the lease three times meanwhile
        assert first.tag in _holder()
        assert first.tag in _beats()["queue_reminders"]  # only the first ran the job

        os.kill(first.process.pid, signal.SIGKILL)  # its host dies: no clean release
        took = _wait_for(lambda: second.tag in _holder(), 60)
        assert took <= LEASE_SECONDS + 5  # the lease's bound, not a minute of silence
        _wait_for(lambda: second.tag in _beats()["queue_reminders"], 30)

        second.process.send_signal(signal.SIGTERM)  # a clean stop gives the lease back
        assert second.process.wait(timeout=30) == 0, second.output
        released = db.session.scalar(sa.select(SchedulerLease.expires_at))
        db.session.rollback()
        assert released <= dt.datetime.now(dt.UTC)
    finally:
        first.stop()
        if second is not None:
            second.stop()
