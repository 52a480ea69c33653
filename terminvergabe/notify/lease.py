"""One active scheduler among several hosts: a lease row in the database.

Every host may run `flask scheduler`. The one that holds the lease runs the jobs; the others
stand by and try to take it every SCHEDULER_RENEW_SECONDS. The holder renews it as often; a
lease not renewed for SCHEDULER_LEASE_SECONDS (its host died, lost the database, or was
killed) is taken by the next standby that asks. A scheduler that stops cleanly gives it back
at once.

A row rather than a PostgreSQL advisory lock: a session lock is released only when the server
notices that the holder's connection is gone, which after a host's power loss takes as long
as TCP keepalive (hours by default); a row expires on its own, and works the same on SQLite.
The hosts' clocks must agree to within a few seconds (NTP); the jobs are idempotent, so even
a short overlap at a takeover does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket

import sqlalchemy as sa
from flask import current_app

from terminvergabe.db import db, insert_or_ignore
from terminvergabe.notify.models import SchedulerLease

log = logging.getLogger(__name__)

NAME = "scheduler"


def holder_id() -> str:
    """This process: host, pid and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def duration() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])


class Lease:
    """This process's view of the lease: held until `held_until`, as the last renewal said."""

    def __init__(self, holder: str):
        self.holder = holder
        self.held_until: dt.datetime | None = None

    def held(self, now: dt.datetime) -> bool:
        return self.held_until is not None and now < self.held_until

    def renew(self, now: dt.datetime) -> bool:
        """Take or extend the lease if it is ours or has lapsed; commit. True while held."""
        was_held = self.held(now)
        until = now + duration()
        taken = db.session.execute(
            sa.update(SchedulerLease)
            .where(
                SchedulerLease.name == NAME,
                sa.or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at <= now),
            )
            .values(holder=self.holder, expires_at=until)
        ).rowcount
        if not taken:
            statement = insert_or_ignore(SchedulerLease).values(
                name=NAME, holder=self.holder, expires_at=until
            )
            taken = db.session.execute(statement.returning(SchedulerLease.name)).first()
        db.session.commit()
        self.held_until = until if taken else None
        if bool(taken) != was_held:
            log.info("scheduler %s: %s", self.holder, "active" if taken else "standing by")
        return bool(taken)

    def release(self, now: dt.datetime) -> None:
        """Give the lease back (a clean stop): a standby takes over at its next try."""
        db.session.execute(
            sa.update(SchedulerLease)
            .where(SchedulerLease.name == NAME, SchedulerLease.holder == self.holder)
            .values(expires_at=now)
        )
        db.session.commit()
        self.held_until = None


def current_holder() -> tuple[str, dt.datetime] | None:
    """Who holds the lease and until when (for operators and tests)."""
    row = db.session.get(SchedulerLease, NAME)
    return (row.holder, row.expires_at) if row is not None else None
