"""Fixtures for fair access: a scarce office (few times, all booked), captured waitlist mails,
a fresh rate-limit storage per test."""

import datetime as dt

import pytest

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.fairness import mail
from terminvergabe.limiter import limiter
from tests import factories

TUESDAY_0800 = dt.datetime(2026, 1, 13, 7, 0, tzinfo=dt.UTC)  # 08:00 in Berlin


@pytest.fixture(autouse=True)
def fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def mails(app_ctx):
    sent = []

    def keep(sender, **message):
        sent.append(message)

    mail.waitlist_mail.connect(keep)
    yield sent
    mail.waitlist_mail.disconnect(keep)


def anmeldung(office) -> dict[int, int]:
    return {next(s.id for s in office.services if s.name == "Anmeldung einer Wohnung"): 1}


@pytest.fixture
def scarce_office(app_ctx, now):
    """One counter, 08:00-08:20 on weekdays, two bookable days (Tue 13 and Wed 14 January):
    four 10-minute times, all booked. Returns (office, [appointments by start])."""
    office = factories.create_office(
        counters=1,
        hours=(dt.time(8), dt.time(8, 20)),
        horizon_days=2,
        hold_minutes=10,
        cancel_deadline_minutes=60,
    )
    db.session.flush()
    booked = []
    for day in (0, 1):
        for minutes in (0, 10):
            start = TUESDAY_0800 + dt.timedelta(days=day, minutes=minutes)
            appointment = operations.hold(office, anmeldung(office), start, now)
            operations.confirm(
                appointment, f"Citizen {len(booked)}", f"c{len(booked)}@example.org", "", now
            )
            booked.append(appointment)
    db.session.commit()
    return office, booked


# Browser fixtures (live server, Chromium) shared with tests/browser.
from tests.browser.conftest import (  # noqa: E402, F401
    _live_server_thread,
    base_url,
    browser_context_args,
    browser_type_launch_args,
    live_server,
)
