"""Parsing what citizens and integrators send: service selections, dates and start times.

Pages and API use the same parsers, so that both refuse the same input with the same message.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from terminvergabe.errors import DomainError

MAX_SELECTION_ITEMS = 20
_EARLIEST = dt.datetime(2, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(9998, 12, 31, tzinfo=dt.UTC)


def parse_selection(text: str | None) -> dict[int, int]:
    """ "12:2,15:1" -> {12: 2, 15: 1} (service id : quantity; a bare id means once)."""
    selection: dict[int, int] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        service, _sep, quantity = part.partition(":")
        try:
            service_id, count = int(service), int(quantity or 1)
        except ValueError:
            raise _bad_selection() from None
        if service_id <= 0 or count <= 0 or len(selection) >= MAX_SELECTION_ITEMS:
            raise _bad_selection()
        selection[service_id] = selection.get(service_id, 0) + count
    return selection


def format_selection(selection: dict[int, int]) -> str:
    return ",".join(f"{service}:{quantity}" for service, quantity in sorted(selection.items()))


def parse_date(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        raise DomainError(
            "bad_date", _("Please give a date in the form YYYY-MM-DD."), status=422
        ) from None


def parse_start(text: str | None) -> dt.datetime:
    """An ISO 8601 instant with a UTC offset, e.g. 2026-03-02T09:30:00+01:00, as aware UTC."""
    try:
        value = dt.datetime.fromisoformat((text or "").replace("Z", "+00:00"))
        utc = value.astimezone(dt.UTC) if value.tzinfo else None
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted past the edge
        utc = None
    if utc is not None and not _EARLIEST <= utc <= _LATEST:
        # so near the edge of the calendar that local dates around it cannot be computed
        utc = None
    if utc is None:
        raise DomainError(
            "bad_start",
            _("Please give the start time as an ISO 8601 time with a UTC offset."),
            status=422,
        )
    return utc


def _bad_selection() -> DomainError:
    return DomainError(
        "bad_selection",
        _("The choice of services could not be read. Please choose your services again."),
        status=422,
    )
