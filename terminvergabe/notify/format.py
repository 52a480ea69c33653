"""Dates, times and service lines for mails and calendar text, in the appointment's locale and
the office's time zone (never the server's or the request's)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import gettext as _

from terminvergabe.notify.payload import parse_time


def _local(payload: dict, key: str):
    return parse_time(payload[key]).astimezone(ZoneInfo(payload["office"]["time_zone"]))


def date_text(payload: dict, key: str = "start_at") -> str:
    return format_date(_local(payload, key).date(), format="full", locale=get_locale())


def time_text(payload: dict, key: str = "start_at") -> str:
    return format_time(_local(payload, key).time(), format="short", locale=get_locale())


def when_text(payload: dict, key: str = "start_at") -> str:
    """Date and time span: "Dienstag, 13. Januar 2026, 10:00–10:40"."""
    end = time_text(payload, "end_at") if key == "start_at" else None
    span = f"{time_text(payload, key)}–{end}" if end else time_text(payload, key)
    return _("%(date)s, %(time)s", date=date_text(payload, key), time=span)


def service_line(item: dict) -> str:
    if item["quantity"] > 1:
        return _("%(quantity)d × %(service)s", quantity=item["quantity"], service=item["service"])
    return item["service"]
