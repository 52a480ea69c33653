"""Keeping a rendered page of free times for a few seconds.

Everyone in a rush looks at the same few days, so the page of one day is kept for
DAY_PAGE_CACHE_SECONDS (default 10), under a key that holds the office's schedule stamp,
the full path with its query, the language and the minute. It is dropped at once when this
process holds, books or releases a time of the office; a booking made through another
process, or a change of the office, its services or staffing (a new stamp), shows within
those seconds in every process. Nothing is decided on a kept page: a hold always works the
times out afresh and says "just taken" with the nearest free times.

Each visitor's own CSRF token goes into the forms: the kept copy has a placeholder instead.
Signing that token costs more than serving the kept page, so a returning visitor's signed
token is reused for the same few seconds (it stays valid: it signs the token in their session).
A page with flashed messages is the visitor's own and never kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from terminvergabe.booking import signals
from terminvergabe.booking.models import Office
from terminvergabe.cache import Cache
from terminvergabe.db import read_row
from terminvergabe.fairness.models import FairnessSetting

CSRF_SLOT = "\x00csrf-token\x00"


_pages = Cache(1024)
_signed_tokens = Cache(8192)  # by the token in the visitor's session

# What a kept page depends on besides the request: built once, read at most once per
# DAY_PAGE_CACHE_SECONDS and office.
_OFFICE_STAMP = (
    sa.select(Office.id, Office.schedule_stamp, FairnessSetting.altcha_required)
    .outerjoin(FairnessSetting, FairnessSetting.office_id == Office.id)
    .where(Office.slug == sa.bindparam("slug"))
)


def kept_page(slug: str, now: dt.datetime, render: Callable[[], str]) -> str:
    """`render()` (a page of the office `slug`), or its copy from the last few seconds."""
    seconds = current_app.config.get("DAY_PAGE_CACHE_SECONDS", 10)
    if seconds <= 0 or session.get("_flashes"):
        return render()
    office = _pages.get_or_build(
        ("office stamp", slug), lambda: read_row(_OFFICE_STAMP, {"slug": slug}), seconds
    )
    if office is None:
        return render()  # no such office: render() says so
    key = (
        *office,  # the office id first: forget() drops the page
        "page",
        request.host,  # the header and footer links depend on the municipality's host
        request.full_path,
        str(get_locale()),
        now.replace(second=0, microsecond=0),
    )

    def build() -> str:
        return render().replace(generate_csrf(), CSRF_SLOT)

    return _pages.get_or_build(key, build, seconds).replace(CSRF_SLOT, _csrf_token(seconds))


def _csrf_token(seconds: float) -> str:
    """The visitor's signed CSRF token; a new visitor's is made (and their session started)."""
    raw = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if raw is None:
        return generate_csrf()
    return _signed_tokens.get_or_build((raw,), generate_csrf, seconds)


def forget(office_id: int) -> None:
    _pages.drop(lambda key: key[0] == office_id)


def clear() -> None:
    _pages.clear()
    _signed_tokens.clear()


signals.on_times_changed(forget)
