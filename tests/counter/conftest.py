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
from tests.counter.helpers import at


@pytest.fixture
def staff(office):
    return create_staff_set(office)


@pytest.fixture
def clock(app):
    def set_time(hour, minute=0):
        app.config["FROZEN_NOW"] = at(hour, minute)

    return set_time
