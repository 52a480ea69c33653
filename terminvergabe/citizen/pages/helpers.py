"""What every citizen template may call: times and dates in the office's zone, the current
page in another language, status labels, catalogue texts in the reader's language and fees."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from urllib.parse import quote, urlencode

from babel.dates import format_skeleton
from flask import Blueprint, request
from flask_babel import format_currency, format_date, format_time, get_locale, refresh
from flask_babel import gettext as _
from markupsafe import Markup

from terminvergabe.booking import codes
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office, Service
from terminvergabe.i18n import OFFICE_LANGUAGE, office_lang, office_text


def language_url(code: str) -> str:
    """The current page in another language (keeps the query, e.g. the service selection)."""
    args = request.args.to_dict()
    args["lang"] = code
    return quote(request.script_root + request.path) + "?" + urlencode(args)


def local_time(instant: dt.datetime, office: Office) -> str:
    """A start time as the office's wall clock shows it, in the reader's locale."""
    return _wall_clock(instant, office.zone, str(get_locale()))


@lru_cache(maxsize=8192)
def _wall_clock(instant: dt.datetime, zone, locale: str) -> str:
    # A day page shows dozens of times and Babel formats each slowly; the text depends only on
    # the instant, the zone and the language (which is the current one: it is in the key).
    return format_time(instant.astimezone(zone), "short", rebase=False)


def local_date(instant: dt.datetime, office: Office, format: str = "full") -> str:
    return format_date(instant.astimezone(office.zone).date(), format)


def page_helpers() -> dict:
    return {
        "language_url": language_url,
        "local_time": local_time,
        "local_date": local_date,
        "format_booking_code": codes.format_booking_code,
        "status_label": status_label,
        "appointment_chosen": appointment_chosen,
        "catalogue_text": catalogue_text,
        "catalogue_lang": catalogue_lang,
        "catalogue_lines": catalogue_lines,
        "fee_text": fee_text,
        "short_day": short_day,
    }


def short_day(day: dt.date) -> str:
    """A day in a short list of days: weekday, day and month in the reader's notation
    ("Di., 13. Jan.", "Tue, Jan 13")."""
    return format_skeleton("MMMEd", day, locale=str(get_locale()))


def _translated(service: Service, field: str) -> bool:
    locale = str(get_locale())
    return locale[:2] != OFFICE_LANGUAGE and bool(
        (service.translations or {}).get(locale[:2], {}).get(field)
    )


def catalogue_text(service: Service, field: str) -> Markup:
    """A catalogue text (`name`, `description`, `what_to_bring`) in the reader's language
    where the municipality translated it; the German text marked `lang="de"` where not."""
    if _translated(service, field):
        return Markup.escape(service.text(field, str(get_locale())))
    return office_text(getattr(service, field))


def catalogue_lang(service: Service, field: str) -> Markup:
    """` lang="de"` for an element holding the catalogue text (an <option>, a heading) when it
    is shown in German on a page in another language."""
    return Markup("") if _translated(service, field) else office_lang()


def catalogue_lines(service: Service, field: str) -> list[str]:
    """A catalogue text kept one sentence a line (what to bring), as its lines."""
    text = service.text(field, str(get_locale()))
    return [line.strip() for line in text.splitlines() if line.strip()]


def fee_text(service: Service) -> str:
    """The fee in the reader's notation ("46,00 €", "€46.00"); "" where it is not fixed."""
    if service.fee_cents is None:
        return ""
    if service.fee_cents == 0:
        return _("Free of charge")
    return format_currency(service.fee_cents / 100, "EUR")


def appointment_chosen(appointment: Appointment) -> list[tuple]:
    """[(Service, quantity)] of an appointment in the office's order."""
    items = sorted(appointment.items, key=lambda i: (i.service.position, i.service_id))
    return [(item.service, item.quantity) for item in items]


def status_label(status: str) -> str:
    return {
        AppointmentStatus.HELD: _("Reserved, details missing"),
        AppointmentStatus.PENDING: _("Waiting for your email confirmation"),
        AppointmentStatus.CONFIRMED: _("Booked"),
        AppointmentStatus.CHECKED_IN: _("Checked in"),
        AppointmentStatus.CALLED: _("Called"),
        AppointmentStatus.IN_SERVICE: _("In progress"),
        AppointmentStatus.DONE: _("Done"),
        AppointmentStatus.CANCELLED: _("Cancelled"),
        AppointmentStatus.EXPIRED: _("Expired"),
        AppointmentStatus.NO_SHOW: _("Missed"),
    }.get(status, status)


def _choose_locale_per_request() -> None:
    """Flask-Babel keeps the chosen locale on `g`, which outlives a request when an app context
    was already pushed (tests, CLI): choose it again for every request."""
    refresh()


def init_blueprint(bp: Blueprint) -> None:
    bp.app_context_processor(page_helpers)
    bp.before_app_request(_choose_locale_per_request)
