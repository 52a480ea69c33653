"""The fairness job: lapse offers, end old entries, offer free times to the waitlist, forget
spent challenges and client keys. Idempotent; safe to run twice or in two processes (offering
is serialised per office by a transaction lock, and the database refuses double offers).

It runs every minute in the app's scheduler (notify.scheduler), or once with
`flask waitlist run` (e.g. from cron).
"""

from __future__ import annotations

import datetime as dt

import click

from terminvergabe.db import db
from terminvergabe.fairness import altcha, holds, offers, waitlist
from terminvergabe.time import now as clock

INTERVAL_SECONDS = 60


def run(now: dt.datetime) -> dict[str, int]:
    done = {
        "offers_lapsed": offers.expire_offers(now),
        "entries_ended": waitlist.expire_entries(now),
        "offers_made": offers.offer_free_times(now),
        "challenges_forgotten": altcha.forget_spent(),
        "clients_forgotten": holds.forget_old_clients(now),
    }
    return done


def run_and_commit_at(now: dt.datetime) -> dict[str, int]:
    """The scheduler's entry point (a job commits its own work)."""
    try:
        done = run(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return done


@click.group("waitlist")
def cli():
    """The waitlist and fair access."""


@cli.command("run")
def run_command():
    """Lapse offers, end old entries and offer free times to waiting citizens, once."""
    done = run_and_commit_at(clock())
    click.echo(", ".join(f"{key}: {value}" for key, value in done.items()))
