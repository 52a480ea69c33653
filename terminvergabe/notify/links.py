"""Absolute links in mails, built from BASE_URL: the sender job runs outside any request."""

from __future__ import annotations

from flask import current_app
from werkzeug.routing import BuildError


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def path_for(endpoint: str, fallback: str, **values) -> str:
    """The path of an endpoint without a request, or `fallback` while it does not exist."""
    adapter = current_app.url_map.bind("localhost")
    try:
        return adapter.build(endpoint, values)
    except BuildError:
        return fallback


def manage_url(manage_token: str) -> str:
    return f"{_base()}/a/{manage_token}"


def opt_in_url(manage_token: str) -> str:
    path = path_for("booking.opt_in", f"/a/{manage_token}/confirm-email", token=manage_token)
    return _base() + path


def calendar_url(manage_token: str) -> str:
    return _base() + path_for("notify.appointment_ics", "", token=manage_token)


def display_code(code: str) -> str:
    """ABCD-EFGH: easier to read aloud at the front desk."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
