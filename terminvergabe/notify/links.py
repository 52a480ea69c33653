"""Absolute links in mails, built from BASE_URL: the sender job runs outside any request."""

from __future__ import annotations

from urllib.parse import quote, urlencode

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


def _in(locale: str | None) -> str:
    """The query that opens a page in the citizen's language (i18n.select_locale reads it)."""
    return f"?{urlencode({'lang': locale})}" if locale else ""


def manage_url(manage_token: str, locale: str | None = None) -> str:
    return f"{_base()}/a/{manage_token}{_in(locale)}"


def opt_in_url(manage_token: str, locale: str | None = None) -> str:
    path = path_for("booking.opt_in", f"/a/{manage_token}/confirm-email", token=manage_token)
    return _base() + path + _in(locale)


def book_again_url(office_slug: str | None, locale: str | None = None) -> str:
    """The office's booking page (the start page for a mail queued before offices had their
    slug in the payload)."""
    path = f"/o/{quote(office_slug)}" if office_slug else "/"
    return _base() + path + _in(locale)


def calendar_url(manage_token: str) -> str:
    return _base() + path_for("notify.appointment_ics", "", token=manage_token)


def display_code(code: str) -> str:
    """ABCD-EFGH: easier to read aloud at the front desk."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
