"""Fixtures for the admin tests: an office with staff of every role, booked appointments."""

import datetime as dt

import pytest

from terminvergabe.booking import operations
from terminvergabe.db import db
from tests import factories
from tests.auth.staff import create_staff_set, log_in

# Tuesday 13 January 2026, 10:00 in Berlin (the tests' clock is Monday 09:00).
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def other_office(app_ctx):
    office = factories.create_office(slug="anderes-amt", name="Bürgerbüro Anderswo")
    db.session.commit()
    return office


@pytest.fixture
def staff(office, other_office):
    return create_staff_set(office, other_office)


@pytest.fixture
def manager(client, staff):
    log_in(client, staff["office_manager"])
    return staff["office_manager"]


def service_id(office, name):
    return next(s.id for s in office.services if s.name == name)


def book(office, start_at, now, email, services=(("Personalausweis beantragen", 1),), name="Erika"):
    """A confirmed appointment (committed by the caller)."""
    selection = {service_id(office, n): q for n, q in services}
    appointment = operations.hold(office, selection, start_at, now)
    operations.confirm(appointment, name, email, "0221 12345", now)
    return appointment
