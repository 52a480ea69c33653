"""Citizen pages: choose office, services, day, time; enter details; manage the appointment.

Every view parses its input, calls `booking.operations` and renders; a view that changes
something commits once. Refusals are DomainErrors (translated page, nothing changed). Public
URLs name an appointment only by its manage token, never by its id.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_time, get_locale, refresh
from flask_babel import gettext as _

from terminvergabe import config as config_module
from terminvergabe import params
from terminvergabe.booking import availability, codes, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Office
from terminvergabe.citizen import page_cache
from terminvergabe.citizen.forms import DetailsForm
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import holds as fairness
from terminvergabe.fairness import limits
from terminvergabe.time import now

bp = Blueprint("booking", __name__)

QUANTITY_PREFIX = "q-"


# -- template helpers ------------------------------------------------------------------------


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


@bp.app_context_processor
def page_helpers() -> dict:
    return {
        "language_url": language_url,
        "local_time": local_time,
        "local_date": local_date,
        "format_booking_code": codes.format_booking_code,
        "status_label": status_label,
        "appointment_chosen": appointment_chosen,
    }


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


@bp.before_app_request
def _choose_locale_per_request() -> None:
    """Flask-Babel keeps the chosen locale on `g`, which outlives a request when an app context
    was already pushed (tests, CLI): choose it again for every request."""
    refresh()


# -- lookups ---------------------------------------------------------------------------------


def _office(slug: str) -> Office:
    office = db.session.scalar(sa.select(Office).where(Office.slug == slug[:64]))
    if office is None:
        abort(404)
    return office


def _appointment(token: str) -> Appointment:
    appointment = codes.find_by_manage_token(token)
    if appointment is None:
        abort(404)
    return appointment


def _locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _chosen(office: Office, selection: dict[int, int]) -> list[tuple]:
    """[(Service, quantity)] in the office's order; refuses what the office does not offer."""
    chosen = availability.validate_selection(office, selection)
    return sorted(chosen.items(), key=lambda item: (item[0].position, item[0].id))


def _lapsed(appointment: Appointment):
    """Expire a lapsed hold or opt-in and say so; None while the appointment is still alive."""
    if appointment.status == AppointmentStatus.EXPIRED:
        return _expired_page(appointment.office)
    if not appointment.is_hold_expired(now()):
        return None
    operations.expire(appointment, now())
    db.session.commit()
    return _expired_page(appointment.office)


def _expired_page(office: Office):
    return render_template("booking/expired.html", office=office), 410


# -- choosing ----------------------------------------------------------------------------------


@bp.get("/")
def index():
    offices = db.session.scalars(sa.select(Office).order_by(Office.name)).all()
    return render_template("booking/index.html", offices=offices)


@bp.get("/o/<slug>")
def office(slug: str):
    office = _office(slug)
    selection = _selection_or_empty(request.args.get("s"))
    return render_template("booking/office.html", office=office, selection=selection, error=None)


def _selection_or_empty(text: str | None) -> dict[int, int]:
    try:
        return params.parse_selection(text)
    except DomainError:
        return {}


def _selection_from_quantities(office: Office) -> dict[int, int]:
    """The office page's form sends one quantity per service: q-<service id>=<n>."""
    selection = {}
    for key, value in request.args.items():
        if not key.startswith(QUANTITY_PREFIX):
            continue
        try:
            service_id, quantity = int(key[len(QUANTITY_PREFIX) :]), int(value or 0)
        except ValueError:
            raise DomainError(
                "bad_selection",
                _("The choice of services could not be read. Please choose your services again."),
                status=422,
            ) from None
        if quantity:
            selection[service_id] = quantity
    return selection


def _step_quantity(office: Office, selection: dict[int, int]):
    """The office page's + and − buttons (no JavaScript): back to the office page with one
    more or one less of a service, scrolled to that service."""
    for name, step in (("more", 1), ("less", -1)):
        value = request.args.get(name)
        if value is None:
            continue
        service = next((s for s in office.public_services if str(s.id) == value), None)
        if service is None:
            abort(404)
        quantity = min(max(selection.get(service.id, 0) + step, 0), service.max_quantity)
        selection = {k: v for k, v in selection.items() if k != service.id}
        if quantity:
            selection[service.id] = quantity
        target = url_for(".office", slug=office.slug, s=params.format_selection(selection) or None)
        return redirect(f"{target}#service-{service.id}", code=303)
    return None


@bp.get("/o/<slug>/days")
@limits.search_limit
def days(slug: str):
    office = _office(slug)
    if "s" not in request.args:
        selection = _selection_from_quantities(office)
        stepped = _step_quantity(office, selection)
        if stepped is not None:
            return stepped
        if not selection:
            error = _("Please choose at least one service.")
            page = render_template("booking/office.html", office=office, selection={}, error=error)
            return page, 422
        _chosen(office, selection)
        return redirect(url_for(".days", slug=slug, s=params.format_selection(selection)), code=303)
    selection = params.parse_selection(request.args.get("s"))
    chosen = _chosen(office, selection)
    free_days = availability.available_days(office, selection, now())
    return render_template(
        "booking/days.html",
        office=office,
        chosen=chosen,
        months=_months(free_days),
        day_url=lambda day: url_for(
            ".day", slug=slug, date=day.isoformat(), s=params.format_selection(selection)
        ),
        back_url=url_for(".office", slug=slug, s=params.format_selection(selection)),
        waitlist_url=url_for(
            "waitlist.register", slug=slug, services=params.format_selection(selection)
        ),
        rebooking=None,
    )


def _months(free_days: list[dt.date]) -> list[dict]:
    """Month grids (weeks of dates, None outside the month) from the first to the last free day,
    each day marked free or not, weeks starting on the locale's first weekday."""
    if not free_days:
        return []
    free = set(free_days)
    locale = get_locale()
    first_weekday = locale.first_week_day if locale else 0
    cal = calendar.Calendar(firstweekday=first_weekday)
    weekdays = [(first_weekday + i) % 7 for i in range(7)]
    months = []
    year, month = free_days[0].year, free_days[0].month
    last = (free_days[-1].year, free_days[-1].month)
    while (year, month) <= last:
        weeks = [
            [(d, d in free) if d.month == month else None for d in week]
            for week in cal.monthdatescalendar(year, month)
        ]
        months.append(
            {
                "title": format_date(dt.date(year, month, 1), "LLLL yyyy"),
                "weeks": weeks,
                "weekdays": _weekday_names(locale, weekdays),
                "free_count": sum(1 for d in free if (d.year, d.month) == (year, month)),
            }
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _weekday_names(locale, weekdays: list[int]) -> list[tuple[str, str]]:
    """(short, full) weekday names for the calendar header. Where the locale's abbreviations
    are long (Arabic has none), the narrow forms keep seven columns readable at 320 px."""
    if locale is None:
        return [(str(w), str(w)) for w in weekdays]
    names = locale.days["stand-alone"]
    short = names["abbreviated"]
    if max(len(short[w]) for w in weekdays) > 4:
        short = names["narrow"]
    return [(short[w], names["wide"][w]) for w in weekdays]


def _hold_fields(office: Office, selection: dict[int, int]) -> dict[str, str]:
    """Hidden fields of a hold form; "altcha" is filled by the proof-of-work script."""
    fields = {"s": params.format_selection(selection)}
    if fairness.altcha_required(office):
        fields["altcha"] = ""
    return fields


@bp.get("/o/<slug>/days/<date>")
@limits.search_limit
def day(slug: str, date: str):
    return page_cache.kept_page(slug[:64], now(), lambda: _day_page(slug, date))


def _day_page(slug: str, date: str) -> str:
    office = _office(slug)
    selection = params.parse_selection(request.args.get("s"))
    chosen = _chosen(office, selection)
    chosen_day = params.parse_date(date)
    starts = sorted(availability.available_starts(office, selection, chosen_day, now()))
    return render_template(
        "booking/day.html",
        office=office,
        chosen=chosen,
        day=chosen_day,
        starts=starts,
        action=url_for(".hold", slug=slug),
        hidden=_hold_fields(office, selection),
        back_url=url_for(".days", slug=slug, s=params.format_selection(selection)),
        rebooking=None,
    )


@bp.post("/o/<slug>/hold")
@limits.hold_limit
def hold(slug: str):
    office = _office(slug)
    selection = params.parse_selection(request.form.get("s"))
    start_at = params.parse_start(request.form.get("start"))
    try:
        appointment = fairness.hold_for_client(office, selection, start_at, now(), _locale())
    except DomainError as error:
        if error.code != "slot_taken":
            raise
        db.session.rollback()
        return _taken_page(
            office,
            error,
            chosen=_chosen(office, selection),
            action=url_for(".hold", slug=slug),
            hidden=_hold_fields(office, selection),
            back_url=url_for(".days", slug=slug, s=params.format_selection(selection)),
        )
    token = appointment.manage_token
    db.session.commit()
    return redirect(url_for(".details", token=token), code=303)


def _taken_page(office, error: DomainError, **context):
    alternatives = [params.parse_start(a) for a in error.details.get("alternatives", [])]
    groups: dict[str, list[dt.datetime]] = {}
    for start in sorted(alternatives):
        groups.setdefault(local_date(start, office), []).append(start)
    page = render_template(
        "booking/taken.html",
        office=office,
        message=error.message,
        groups=list(groups.items()),
        **context,
    )
    return page, 409


# -- details and confirmation ----------------------------------------------------------------


@bp.route("/a/<token>/details", methods=["GET", "POST"])
@limits.confirm_limit
def details(token: str):
    appointment = _appointment(token)
    expired = _lapsed(appointment)
    if expired:
        return expired
    if appointment.status != AppointmentStatus.HELD:
        return redirect(url_for(".manage", token=token), code=303)
    form = DetailsForm()
    if form.validate_on_submit():
        try:
            operations.confirm(
                appointment, form.name.data, form.email.data, form.phone.data or "", now()
            )
        except DomainError as error:
            db.session.rollback()
            if error.code == "hold_expired":
                return _lapsed(_appointment(token)) or _expired_page(appointment.office)
            return _details_page(appointment, form, refusal=error.message), error.status
        db.session.commit()
        return redirect(url_for(".manage", token=token), code=303)
    status = 422 if form.errors else 200
    return _details_page(appointment, form), status


def _details_page(appointment: Appointment, form: DetailsForm, refusal: str | None = None):
    return render_template(
        "booking/details.html",
        appointment=appointment,
        office=appointment.office,
        form=form,
        refusal=refusal,
    )


@bp.get("/a/<token>")
def manage(token: str):
    appointment = _appointment(token)
    expired = _lapsed(appointment)
    if expired:
        return expired
    if appointment.status == AppointmentStatus.HELD:
        return redirect(url_for(".details", token=token), code=303)
    moment = now()
    return render_template(
        "booking/manage.html",
        appointment=appointment,
        office=appointment.office,
        manage_url=current_app.config["BASE_URL"].rstrip("/") + url_for(".manage", token=token),
        can_cancel=appointment.can_cancel(moment),
        can_rebook=appointment.can_rebook(moment),
    )


@bp.route("/a/<token>/confirm-email", methods=["GET", "POST"], endpoint="opt_in")
def opt_in(token: str):
    appointment = _appointment(token)
    expired = _lapsed(appointment)
    if expired:
        return expired
    if request.method == "POST":
        was_confirmed = appointment.status == AppointmentStatus.CONFIRMED
        operations.opt_in(appointment, now())
        db.session.commit()
        if not was_confirmed:
            flash(_("Thank you. Your email address is confirmed and your appointment is booked."))
        return redirect(url_for(".manage", token=token), code=303)
    return render_template(
        "booking/opt_in.html", appointment=appointment, office=appointment.office
    )


# -- cancel and rebook -----------------------------------------------------------------------


@bp.route("/a/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    appointment = _appointment(token)
    expired = _lapsed(appointment)
    if expired:
        return expired
    if request.method == "POST":
        operations.cancel(appointment, now())
        db.session.commit()
        flash(_("Your appointment has been cancelled."))
        return redirect(url_for(".manage", token=token), code=303)
    if not appointment.can_cancel(now()):
        return redirect(url_for(".manage", token=token), code=303)
    return render_template(
        "booking/cancel.html", appointment=appointment, office=appointment.office
    )


def _rebookable(token: str) -> Appointment | None:
    appointment = _appointment(token)
    return appointment if appointment.can_rebook(now()) else None


@bp.get("/a/<token>/rebook")
@limits.search_limit
def rebook_days(token: str):
    appointment = _rebookable(token)
    if appointment is None:
        return redirect(url_for(".manage", token=token), code=303)
    office = appointment.office
    free_days = availability.available_days(
        office, appointment.selection, now(), exclude_appointment_id=appointment.id
    )
    return render_template(
        "booking/days.html",
        office=office,
        chosen=_chosen(office, appointment.selection),
        months=_months(free_days),
        day_url=lambda day: url_for(".rebook_day", token=token, date=day.isoformat()),
        back_url=url_for(".manage", token=token),
        rebooking=appointment,
    )


@bp.get("/a/<token>/rebook/<date>")
@limits.search_limit
def rebook_day(token: str, date: str):
    appointment = _rebookable(token)
    if appointment is None:
        return redirect(url_for(".manage", token=token), code=303)
    office = appointment.office
    chosen_day = params.parse_date(date)
    starts = sorted(
        availability.available_starts(
            office, appointment.selection, chosen_day, now(), exclude_appointment_id=appointment.id
        )
    )
    return render_template(
        "booking/day.html",
        office=office,
        chosen=_chosen(office, appointment.selection),
        day=chosen_day,
        starts=[s for s in starts if s != appointment.start_at],
        action=url_for(".rebook", token=token),
        hidden={},
        back_url=url_for(".rebook_days", token=token),
        rebooking=appointment,
    )


@bp.post("/a/<token>/rebook")
def rebook(token: str):
    appointment = _appointment(token)
    start_at = params.parse_start(request.form.get("start"))
    try:
        operations.rebook(appointment, start_at, now())
    except DomainError as error:
        if error.code != "slot_taken":
            raise
        db.session.rollback()
        appointment = _appointment(token)
        return _taken_page(
            appointment.office,
            error,
            chosen=_chosen(appointment.office, appointment.selection),
            action=url_for(".rebook", token=token),
            hidden={},
            back_url=url_for(".rebook_days", token=token),
        )
    db.session.commit()
    flash(_("Your appointment has been moved to the new time."))
    return redirect(url_for(".manage", token=token), code=303)


# -- legal pages -----------------------------------------------------------------------------


def _operator() -> dict:
    """Who runs the site, for imprint, privacy and accessibility pages. Configured by
    TERMINVERGABE_OPERATOR_* settings; without them, the first office stands in."""
    office = db.session.scalar(sa.select(Office).order_by(Office.id))
    config = current_app.config
    return {
        "name": config.get("OPERATOR_NAME") or (office.name if office else ""),
        "address": config.get("OPERATOR_ADDRESS") or (office.address if office else ""),
        "email": config.get("OPERATOR_EMAIL") or (office.email if office else ""),
        "phone": config.get("OPERATOR_PHONE") or (office.phone if office else ""),
    }


@bp.get("/barrierefreiheit")
def accessibility():
    return render_template(
        "pages/accessibility.html",
        operator=_operator(),
        statement_date=config_module.accessibility_statement_date(current_app.config),
    )


@bp.get("/impressum")
def imprint():
    return render_template("pages/imprint.html", operator=_operator())


@bp.get("/datenschutz")
def privacy():
    return render_template(
        "pages/privacy.html",
        operator=_operator(),
        retention_days=current_app.config.get("RETENTION_DAYS", 30),
    )
