"""APScheduler in the development server (`flask run` with SCHEDULER_ENABLED), or `flask
scheduler` in production, on one host or on each of several: a lease in the database
(notify/lease.py) lets exactly one of them run the jobs while the others stand by. Other
packages add their jobs with `register_job(app, name, func, seconds)` from their init_app; a
job is `func(now)` and commits its own work."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass

import click
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import IntegrityError

from terminvergabe import time
from terminvergabe.db import db
from terminvergabe.notify import tasks
from terminvergabe.notify.lease import Lease, holder_id
from terminvergabe.notify.models import SchedulerHeartbeat

log = logging.getLogger(__name__)

EXTENSION = "terminvergabe.jobs"
RUNNING = "terminvergabe.scheduler"
LEASE = "terminvergabe.scheduler_lease"
LEASE_JOB = "scheduler_lease"


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[dt.datetime], object]
    seconds: float


def register_job(app: Flask, name: str, func, seconds: float) -> None:
    job = Job(name, func, seconds)
    app.extensions.setdefault(EXTENSION, {})[name] = job
    running = app.extensions.get(RUNNING)
    if running is not None:  # a package initialised after the dev server's scheduler started
        _add(running, app, job, app.extensions.get(LEASE))


def jobs(app: Flask) -> list[Job]:
    return list(app.extensions.get(EXTENSION, {}).values())


def register_notify_jobs(app: Flask) -> None:
    config = app.config
    register_job(app, "send_outbox", tasks.send_outbox, config["OUTBOX_INTERVAL_SECONDS"])
    register_job(app, "queue_reminders", tasks.queue_reminders, config["REMINDER_INTERVAL_SECONDS"])
    register_job(app, "expire_lapsed", tasks.expire_lapsed, config["EXPIRY_INTERVAL_SECONDS"])
    register_job(app, "purge_sent_mail", tasks.purge_sent, 3600)


def run_job(app: Flask, job: Job, lease: Lease | None = None) -> bool:
    """One run in its own app context, if this scheduler holds the lease (or runs without
    one: `--once`); an error is logged and rolled back, the next run tries again."""
    with app.app_context():
        if lease is not None and not lease.held(time.now()):
            return True  # standing by: another scheduler runs the jobs
        try:
            job.func(time.now())
            beat(job.name, time.now(), lease.holder if lease is not None else "")
            return True
        except Exception:
            log.exception("scheduled job %s failed", job.name)
            db.session.rollback()
            return False
        finally:
            db.session.remove()


def renew_lease(app: Flask, lease: Lease) -> bool:
    """The lease job: take or keep the lease. A failure (database away) is logged; the lease
    then lapses by itself and the jobs here stop until a renewal succeeds."""
    with app.app_context():
        try:
            return lease.renew(time.now())
        except Exception:
            log.exception("scheduler lease could not be renewed")
            db.session.rollback()
            return False
        finally:
            db.session.remove()


def beat(name: str, now: dt.datetime, holder: str = "") -> None:
    try:
        with db.session.begin_nested():
            db.session.merge(SchedulerHeartbeat(name=name, beat_at=now, holder=holder))
        db.session.commit()
    except IntegrityError:  # two schedulers wrote the first beat at once
        db.session.rollback()


def last_heartbeat() -> dt.datetime | None:
    """When any scheduled job last finished (for a health check)."""
    return db.session.scalar(sa.select(sa.func.max(SchedulerHeartbeat.beat_at)))


def build(app: Flask, scheduler_class=BackgroundScheduler, chosen: list[Job] | None = None):
    """A scheduler with the jobs (all, or `chosen`) and the lease job that decides whether
    they run here. The lease is tried once before it starts."""
    scheduler = scheduler_class(timezone="UTC")
    lease = Lease(holder_id())
    app.extensions[LEASE] = lease
    renew_lease(app, lease)
    scheduler.add_job(
        renew_lease,
        "interval",
        args=(app, lease),
        seconds=app.config["SCHEDULER_RENEW_SECONDS"],
        id=LEASE_JOB,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    for job in jobs(app) if chosen is None else chosen:
        _add(scheduler, app, job, lease)
    return scheduler


def release_lease(app: Flask) -> None:
    lease = app.extensions.pop(LEASE, None)
    if lease is None:
        return
    with app.app_context():
        try:
            lease.release(time.now())
        except Exception:  # noqa: BLE001  (it lapses by itself)
            log.warning("scheduler lease not released; it lapses by itself")
        finally:
            db.session.remove()


def _add(scheduler, app: Flask, job: Job, lease: Lease | None) -> None:
    scheduler.add_job(
        run_job,
        "interval",
        args=(app, job, lease),
        seconds=job.seconds,
        id=job.name,
        replace_existing=True,
        max_instances=1,  # never overlap with itself in this process
        coalesce=True,
        next_run_time=dt.datetime.now(dt.UTC),
    )


# -- the development server ------------------------------------------------------------------


def start_in_dev_server(app: Flask) -> None:
    """Start the background scheduler when this process is the one that serves `flask run`:
    not the reloader's watcher process, not gunicorn, not other commands or tests."""
    if not app.config.get("SCHEDULER_ENABLED") or app.testing or not _serving_flask_run(app):
        return
    scheduler = build(app)
    scheduler.start()
    app.extensions[RUNNING] = scheduler

    def stop():
        scheduler.shutdown(wait=False)
        release_lease(app)

    atexit.register(stop)
    log.info("scheduler started in the development server")


def _serving_flask_run(app: Flask) -> bool:
    context = click.get_current_context(silent=True)
    if context is None or context.command.name != "run":
        return False
    reload = context.params.get("reload")
    if reload is None:
        reload = app.debug
    return not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


# -- flask scheduler -------------------------------------------------------------------------


def init_cli(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run the jobs once and exit (for cron).")
    @click.option("--job", "names", multiple=True, help="Only this job (repeatable).")
    def scheduler_command(once: bool, names: tuple[str, ...]) -> None:
        """Run the scheduled jobs (mail outbox, reminders, expiry) in the foreground."""
        chosen = [job for job in jobs(app) if not names or job.name in names]
        if not chosen:
            raise click.BadParameter(f"known jobs: {', '.join(j.name for j in jobs(app))}")
        if once:
            results = [run_job(app, job) for job in chosen]
            raise SystemExit(0 if all(results) else 1)
        click.echo(f"scheduler: {', '.join(j.name for j in chosen)} (Ctrl+C stops)")
        scheduler = build(app, BlockingScheduler, chosen)
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            with contextlib.suppress(KeyboardInterrupt, SystemExit):
                scheduler.start()
        finally:
            release_lease(app)


def _stop_on_sigterm(signum, frame):
    raise SystemExit(0)  # ends BlockingScheduler.start(); the lease is given back
