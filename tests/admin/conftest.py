"""Fixtures for the admin tests: an office with staff of every role, booked appointments, and a
municipality with two offices and its administrator."""

import datetime as dt

import pytest

from terminvergabe.auth import operations
from terminvergabe.booking import operations as booking
from terminvergabe.booking.models import Role
from terminvergabe.db import db
from tests import factories
from tests.auth.staff import PASSWORD, create_staff_set, forget_setup_entries, log_in

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
def manager(client, office):
    """The office manager, logged in (one account: password hashing is slow on purpose)."""
    member = operations.create_staff(
        "manager", PASSWORD, "Office Manager", [Role.OFFICE_MANAGER], office
    )
    forget_setup_entries()
    db.session.commit()
    log_in(client, member)
    return member


def service_id(office, name):
    return next(s.id for s in office.services if s.name == name)


def book(office, start_at, now, email, services=(("Personalausweis beantragen", 1),), name="Erika"):
    """A confirmed appointment (committed by the caller)."""
    selection = {service_id(office, n): q for n, q in services}
    appointment = booking.hold(office, selection, start_at, now)
    booking.confirm(appointment, name, email, "0221 12345", now)
    return appointment


@pytest.fixture
def city(office):
    """The test office's municipality with a second office, `nord`."""
    nord = factories.create_office(
        slug="nord", name="Bürgerbüro Nord", municipality=office.municipality
    )
    db.session.commit()
    return office.municipality, office, nord


@pytest.fixture
def city_admin(client, city):
    municipality = city[0]
    member = operations.create_staff(
        "stadtadmin", PASSWORD, "Stadt Admin", [Role.ADMIN], municipality=municipality
    )
    forget_setup_entries()
    db.session.commit()
    log_in(client, member)
    return member


@pytest.fixture
def manager_of_testamt(client, city):
    _municipality, office, _nord = city
    member = operations.create_staff(
        "leitung", PASSWORD, "Leitung Testamt", [Role.OFFICE_MANAGER], office
    )
    forget_setup_entries()
    db.session.commit()
    log_in(client, member)
    return member
