"""Dates, times and service lines for mails and calendar text, in the appointment's locale and
the office's time zone (never the server's or the request's). `repeated_hour_note` also serves
the pages (a template global): a time in the hour the clocks go back says which pass it is."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import gettext as _

from terminvergabe.notify.payload import parse_time
from terminvergabe.time import is_repeated_wall_time


def _local(payload: dict, key: str):
    return parse_time(payload[key]).astimezone(ZoneInfo(payload["office"]["time_zone"]))


def date_text(payload: dict, key: str = "start_at") -> str:
    return format_date(_local(payload, key).date(), format="full", locale=get_locale())


def time_text(payload: dict, key: str = "start_at") -> str:
    local = _local(payload, key)
    text = format_time(local.time(), format="short", locale=get_locale())
    return text + repeated_hour_note(local, local.tzinfo)


def repeated_hour_note(instant: dt.datetime, zone) -> str:
    """What follows a wall time that the clock shows twice that night, "(summer time)" or
    "(standard time)" after a no-break space; "" for every other time. `zone` may be an
    office (its `zone` is taken)."""
    zone = getattr(zone, "zone", zone)
    if not is_repeated_wall_time(instant, zone):
        return ""
    local = instant.astimezone(zone)
    return "\u00a0" + (_("(summer time)") if local.dst() else _("(standard time)"))


def when_text(payload: dict, key: str = "start_at") -> str:
    """Date and time span: "Dienstag, 13. Januar 2026, 10:00–10:40"."""
    end = time_text(payload, "end_at") if key == "start_at" else None
    span = f"{time_text(payload, key)}–{end}" if end else time_text(payload, key)
    return _("%(date)s, %(time)s", date=date_text(payload, key), time=span)


def service_line(item: dict) -> str:
    if item["quantity"] > 1:
        return _("%(quantity)d × %(service)s", quantity=item["quantity"], service=item["service"])
    return item["service"]
