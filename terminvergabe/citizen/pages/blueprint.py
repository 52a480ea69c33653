"""The citizen pages' blueprint and what its views share: finding the municipality, the
office and the appointment of a URL (and with them the municipality whose name, colour and
operator data the page shows: `g.municipality`), the chosen services, and the pages for a
lapsed hold and a taken time."""

from __future__ import annotations

import datetime as dt
import functools

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import get_locale

from terminvergabe import params
from terminvergabe.booking import availability, codes, municipalities, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Municipality, Office
from terminvergabe.citizen.pages import helpers
from terminvergabe.citizen.pages.helpers import local_date
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import now

bp = Blueprint("booking", __name__)
helpers.init_blueprint(bp)


def municipality_or_404(slug: str) -> Municipality:
    """The municipality of a `/k/<slug>/…` URL; 404 on another municipality's host."""
    municipality = municipalities.by_slug_here(slug)
    if municipality is None:
        abort(404)
    g.municipality = municipality
    return municipality


def office_or_404(slug: str) -> Office:
    office = db.session.scalar(sa.select(Office).where(Office.slug == slug[:64]))
    if office is None or not municipalities.shown_here(office.municipality_id):
        abort(404)
    g.municipality = office.municipality
    return office


def appointment_or_404(token: str) -> Appointment:
    appointment = codes.find_by_manage_token(token)
    if appointment is None or not municipalities.shown_here(appointment.office.municipality_id):
        abort(404)
    g.municipality = appointment.office.municipality
    return appointment


def page_municipality() -> Municipality | None:
    """Whose name, colour and logo the page shows: the one its view found, else the host's
    (or the only one): error pages on a municipality's host keep its header."""
    return g.get("municipality") or municipalities.request_municipality()


def municipality_url(municipality: Municipality, page: str = "") -> str:
    """A page of the municipality (`page` "" is its start page, else e.g. "impressum"): the
    unprefixed path where this request's host or installation means it anyway."""
    if municipality is municipalities.request_municipality():
        return f"{request.script_root}/{page}"
    return f"{request.script_root}/k/{municipality.slug}/{page}"


@bp.before_app_request
def _forget_municipality():
    # g lives as long as the app context, which may span requests (tests, CLI).
    g.pop("municipality", None)


@bp.app_context_processor
def _municipality_helpers() -> dict:
    return {"page_municipality": page_municipality, "municipality_url": municipality_url}


def live_appointment(view):
    """For the views of a manage-token URL: the view gets the appointment as well; a lapsed hold
    or opt-in shows the expired page instead."""

    @functools.wraps(view)
    def with_appointment(token: str):
        appointment = appointment_or_404(token)
        return lapsed_page(appointment) or view(token, appointment)

    return with_appointment


def request_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def chosen_services(office: Office, selection: dict[int, int]) -> list[tuple]:
    """[(Service, quantity)] in the office's order; refuses what the office does not offer."""
    chosen = availability.validate_selection(office, selection)
    ordered = sorted(chosen.items(), key=lambda item: (item[0].position, item[0].id))
    return [(offer.service, quantity) for offer, quantity in ordered]


def lapsed_page(appointment: Appointment):
    """Expire a lapsed hold or opt-in and say so; None while the appointment is still alive."""
    if appointment.status == AppointmentStatus.EXPIRED:
        return expired_page(appointment.office)
    if not appointment.is_hold_expired(now()):
        return None
    operations.expire(appointment, now())
    db.session.commit()
    return expired_page(appointment.office)


def expired_page(office: Office):
    return render_template("booking/expired.html", office=office), 410


def taken_page(office, error: DomainError, **context):
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
