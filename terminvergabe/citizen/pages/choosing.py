"""Choosing: the offices, the services of an office, the free days, the free times of a day,
and the hold that reserves one."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe import params
from terminvergabe.booking import availability
from terminvergabe.booking.models import Office
from terminvergabe.citizen import page_cache
from terminvergabe.citizen.pages import city
from terminvergabe.citizen.pages.blueprint import (
    bp,
    chosen_services,
    office_or_404,
    request_locale,
    taken_page,
)
from terminvergabe.citizen.pages.month_grid import months
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import holds as fairness
from terminvergabe.fairness import limits
from terminvergabe.time import now

QUANTITY_PREFIX = "q-"


@bp.get("/")
def index():
    return city.home()


@bp.get("/o/<slug>")
def office(slug: str):
    office = office_or_404(slug)
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
        offer = next((o for o in office.public_offers if str(o.service_id) == value), None)
        if offer is None:
            abort(404)
        service_id = offer.service_id
        quantity = min(max(selection.get(service_id, 0) + step, 0), offer.max_quantity)
        selection = {k: v for k, v in selection.items() if k != service_id}
        if quantity:
            selection[service_id] = quantity
        target = url_for(".office", slug=office.slug, s=params.format_selection(selection) or None)
        return redirect(f"{target}#service-{service_id}", code=303)
    return None


@bp.get("/o/<slug>/days")
@limits.search_limit
def days(slug: str):
    office = office_or_404(slug)
    if "s" not in request.args:
        selection = _selection_from_quantities(office)
        stepped = _step_quantity(office, selection)
        if stepped is not None:
            return stepped
        if not selection:
            error = _("Please choose at least one service.")
            page = render_template("booking/office.html", office=office, selection={}, error=error)
            return page, 422
        chosen_services(office, selection)
        return redirect(url_for(".days", slug=slug, s=params.format_selection(selection)), code=303)
    selection = params.parse_selection(request.args.get("s"))
    chosen = chosen_services(office, selection)
    free_days = availability.available_days(office, selection, now())
    return render_template(
        "booking/days.html",
        office=office,
        chosen=chosen,
        months=months(free_days),
        day_url=lambda day: url_for(
            ".day", slug=slug, date=day.isoformat(), s=params.format_selection(selection)
        ),
        back_url=url_for(".office", slug=slug, s=params.format_selection(selection)),
        waitlist_url=url_for(
            "waitlist.register", slug=slug, services=params.format_selection(selection)
        ),
        rebooking=None,
    )


def _hold_fields(office: Office, selection: dict[int, int]) -> dict[str, str]:
    """Hidden fields of a hold form; "altcha" is filled by the proof-of-work script."""
    fields = {"s": params.format_selection(selection)}
    if fairness.altcha_required(office):
        fields["altcha"] = ""
    return fields


@bp.get("/o/<slug>/days/<date>")
@limits.search_limit
def day(slug: str, date: str):
    # Found before the kept copy is used: it decides whether this host may show the office
    # and whose header and frame-ancestors the page gets.
    office_or_404(slug)
    return page_cache.kept_page(slug[:64], now(), lambda: _day_page(slug, date))


def _day_page(slug: str, date: str) -> str:
    office = office_or_404(slug)
    selection = params.parse_selection(request.args.get("s"))
    chosen = chosen_services(office, selection)
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
    office = office_or_404(slug)
    selection = params.parse_selection(request.form.get("s"))
    start_at = params.parse_start(request.form.get("start"))
    try:
        appointment = fairness.hold_for_client(office, selection, start_at, now(), request_locale())
    except DomainError as error:
        if error.code != "slot_taken":
            raise
        db.session.rollback()
        return taken_page(
            office,
            error,
            chosen=chosen_services(office, selection),
            action=url_for(".hold", slug=slug),
            hidden=_hold_fields(office, selection),
            back_url=url_for(".days", slug=slug, s=params.format_selection(selection)),
        )
    token = appointment.manage_token
    db.session.commit()
    return redirect(url_for(".details", token=token), code=303)
