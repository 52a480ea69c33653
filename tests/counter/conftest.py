"""Fixtures of the counter tests: the office's staff, a clock set to a time of the test day,
and the browser fixtures of tests/browser/conftest.py (live server, Chromium, checkers)."""

import pytest

from tests.auth.staff import create_staff_set
from tests.browser.conftest import (  # noqa: F401  (fixtures)
    _live_server_thread,
    base_url,
    browser_context_args,
    browser_type_launch_args,
    live_server,
)
from tests.counter.helpers import at, book

NAMES = ["Erika Mustermann", "Max Muster", "Ayşe Yılmaz", "Olena Koval", "Karim Haddad"]


@pytest.fixture
def staff(office):
    return create_staff_set(office)


@pytest.fixture
def clock(app):
    def set_time(hour, minute=0):
        app.config["FROZEN_NOW"] = at(hour, minute)

    return set_time


@pytest.fixture
def booked(office, now):
    """Three appointments at 10:00, 10:20 and 10:40, booked at 09:00."""
    return [book(office, at(10, 20 * i), now, name=NAMES[i]) for i in range(3)]
