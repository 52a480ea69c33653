"""The browser fixtures of tests/browser/conftest.py (live server, Chromium, checkers), made
available to the counter's browser tests."""

from tests.browser.conftest import (  # noqa: F401  (fixtures)
    _live_server_thread,
    base_url,
    browser_context_args,
    browser_type_launch_args,
    live_server,
)
