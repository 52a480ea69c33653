"""A municipality's pages for citizens: "What do you need?" (the catalogue and its search), a
service's page (a stable deep link for city portals), and the earliest free times across the
offices that offer everything chosen.

A selection travels in the query string (`s=12:2,15:1`, as on the office pages), so every page
works with JavaScript off and can be bookmarked or linked to. From the start page to a
confirmed appointment: start → service → earliest times → (a day's times) → details →
confirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from terminvergabe import params
from terminvergabe.booking import catalogue_search, earliest, municipalities
from terminvergabe.booking.models import Municipality, Office, Service
from terminvergabe.citizen.pages.blueprint import bp, municipality_or_404
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import holds as fairness
from terminvergabe.fairness import limits
from terminvergabe.time import now

NEXT_DAYS = 5  # free days shown after an office's earliest one


@dataclass(frozen=True)
class Catalogue:
    """What a municipality offers citizens online: the catalogue services that a public office
    offers publicly, in the catalogue's order, and the offices offering each."""

    municipality: Municipality
    offices: list[Office]  # its public offices, by name
    services: list[Service]

    def get(self, service_id: int) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def offices_offering(self, selection: dict[int, int]) -> list[Office]:
        return earliest.offering(self.offices, selection)

    def max_quantity(self, service_id: int, offices: list[Office]) -> int:
        """The most of a service one appointment can hold at any of `offices`."""
        limits_ = [o.offer_of(service_id).max_quantity for o in offices if o.offer_of(service_id)]
        return max(limits_, default=0)

    @property
    def districts(self) -> list[str]:
        return sorted({o.district for o in self.offices if o.district})


def catalogue_of(municipality: Municipality) -> Catalogue:
    offices = db.session.scalars(
        sa.select(Office)
        .where(Office.municipality_id == municipality.id, Office.public)
        .order_by(Office.name, Office.id)
    ).all()
    offered = {o.service_id for office in offices for o in office.public_offers}
    services = db.session.scalars(
        sa.select(Service)
        .where(Service.municipality_id == municipality.id, Service.id.in_(offered))
        .order_by(Service.position, Service.id)
    ).all()
    return Catalogue(municipality, list(offices), list(services))


def home():
    """`/`: the start page of the municipality this host belongs to, or of the only one;
    otherwise the municipalities to choose from."""
    municipality = municipalities.request_municipality()
    if municipality is not None:
        g.municipality = municipality
        return start_page(municipality)
    every = db.session.scalars(sa.select(Municipality).order_by(Municipality.name)).all()
    return render_template("booking/index.html", municipalities=every)


@bp.get("/k/<slug>/")
def start(slug: str):
    return start_page(municipality_or_404(slug))


def start_page(municipality: Municipality):
    catalogue = catalogue_of(municipality)
    selection = _known_selection(catalogue, request.args.get("s"))
    query = request.args.get("q", "").strip()[: catalogue_search.MAX_QUERY_LENGTH]
    found = [f.service for f in catalogue_search.search(query, catalogue.services)]
    # With services chosen, only those an office offers together with them can be added.
    listed = catalogue.services
    refused = refusal(catalogue, selection) if selection else None
    if selection and not refused:
        combinable = _combinable(catalogue, selection)
        listed = [s for s in listed if s.id in combinable]
        found = [s for s in found if s.id in combinable]

    def remove_url(service: Service) -> str:
        return url_for(".start", slug=municipality.slug, s=without(selection, service.id) or None)

    return render_template(
        "booking/city_start.html",
        municipality=municipality,
        catalogue=catalogue,
        listed=listed,
        chosen=_chosen(catalogue, selection),
        s=params.format_selection(selection) or None,
        query=query,
        found=found,
        refused=refused,
        remove_url=remove_url,
    )


def _known_selection(catalogue: Catalogue, text: str | None) -> dict[int, int]:
    """A selection carried along to the start page; what is unreadable or unknown is dropped
    (the page is where a citizen starts afresh)."""
    try:
        selection = params.parse_selection(text)
    except DomainError:
        return {}
    return {k: v for k, v in selection.items() if catalogue.get(k) is not None}


def _chosen(catalogue: Catalogue, selection: dict[int, int]) -> list[tuple[Service, int]]:
    return [(s, selection[s.id]) for s in catalogue.services if s.id in selection]


def _combinable(catalogue: Catalogue, selection: dict[int, int]) -> set[int]:
    """Ids of the services that some office offers together with everything chosen so far."""
    offices = catalogue.offices_offering(selection)
    return {o.service_id for office in offices for o in office.public_offers}


def without(selection: dict[int, int], service_id: int) -> str:
    return params.format_selection({k: v for k, v in selection.items() if k != service_id})


@bp.get("/k/<slug>/services/<int:service_id>")
def service(slug: str, service_id: int):
    catalogue = catalogue_of(municipality_or_404(slug))
    return service_page(catalogue, _service_or_404(catalogue, service_id))


def _service_or_404(catalogue: Catalogue, service_id: int) -> Service:
    found = catalogue.get(service_id)
    if found is None:
        abort(404)  # not in this municipality's online catalogue (or another's)
    return found


def service_page(catalogue: Catalogue, service: Service, error: str | None = None):
    selection = _known_selection(catalogue, request.args.get("s"))
    others = {k: v for k, v in selection.items() if k != service.id}
    together = catalogue.offices_offering({**others, service.id: 1})
    page = render_template(
        "booking/city_service.html",
        municipality=catalogue.municipality,
        service=service,
        offices=catalogue.offices_offering({service.id: 1}),
        together=together,
        others=_chosen(catalogue, others),
        others_s=params.format_selection(others),
        quantity=selection.get(service.id, 1),
        max_quantity=max(catalogue.max_quantity(service.id, together), 1),
        error=error,
    )
    return (page, 422) if error else page


@bp.get("/k/<slug>/choose")
def choose(slug: str):
    """The service page's form: this service (× quantity) added to what was chosen before, then
    on to the earliest times or back to the catalogue for another service."""
    catalogue = catalogue_of(municipality_or_404(slug))
    service = _service_or_404(catalogue, _int_arg("service", 404))
    others = _parsed_selection(catalogue, request.args.get("s"))
    others.pop(service.id, None)
    quantity = _int_arg("quantity", 422)
    if quantity < 1:
        raise DomainError("bad_quantity", _("Please choose how many times you need it."), 422)
    selection = {**others, service.id: quantity}
    refused = refusal(catalogue, selection)
    if refused:
        return service_page(catalogue, service, error=refused)
    s = params.format_selection(selection)
    if request.args.get("then") == "more":
        return redirect(url_for(".start", slug=slug, s=s) + "#catalogue", code=303)
    return redirect(url_for(".earliest_times", slug=slug, s=s), code=303)


def _int_arg(name: str, status: int) -> int:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        if status == 404:
            abort(404)
        raise DomainError(
            "bad_quantity", _("Please choose how many times you need it."), 422
        ) from None


def refusal(catalogue: Catalogue, selection: dict[int, int]) -> str | None:
    """Why no office can take `selection` in one appointment, or None."""
    once = {service_id: 1 for service_id in selection}
    together = catalogue.offices_offering(once)
    if not together:
        return _(
            "No office offers all these services in one appointment. Please book them as"
            " separate appointments."
        )
    for service in catalogue.services:
        most = catalogue.max_quantity(service.id, together)
        if selection.get(service.id, 0) > most:
            return ngettext(
                "%(service)s can be booked at most %(max)d time per appointment.",
                "%(service)s can be booked at most %(max)d times per appointment.",
                most,
                service=service.name,
                max=most,
            )
    if not catalogue.offices_offering(selection):
        return _("No office offers this many of these services in one appointment.")
    return None


def _parsed_selection(catalogue: Catalogue, text: str | None) -> dict[int, int]:
    """The selection of a URL: 422 when it cannot be read, 404 when it names a service that
    is not in this municipality's online catalogue."""
    selection = params.parse_selection(text)
    if any(catalogue.get(service_id) is None for service_id in selection):
        abort(404)
    return selection


@dataclass(frozen=True)
class DateGroup:
    day: dt.date | None  # None: the offices without a free time
    answers: list[earliest.OfficeAnswer]


@bp.get("/k/<slug>/earliest")
@limits.search_limit
def earliest_times(slug: str):
    catalogue = catalogue_of(municipality_or_404(slug))
    selection = _parsed_selection(catalogue, request.args.get("s"))
    if not selection:
        raise DomainError("no_service", _("Please choose at least one service."), status=422)
    refused = refusal(catalogue, selection)
    if refused:
        raise DomainError("bad_selection", refused, status=422)
    offering = catalogue.offices_offering(selection)
    office_slug = request.args.get("office", "")
    if office_slug and office_slug not in {o.slug for o in catalogue.offices}:
        abort(404)
    district = request.args.get("district", "")[:100]
    shown = [
        o
        for o in offering
        if (not office_slug or o.slug == office_slug) and (not district or o.district == district)
    ]
    answers = earliest.across(shown, selection, now())
    s = params.format_selection(selection)
    return render_template(
        "booking/city_earliest.html",
        municipality=catalogue.municipality,
        chosen=_chosen(catalogue, selection),
        s=s,
        offering=offering,
        districts=sorted({o.district for o in offering if o.district}),
        office_slug=office_slug,
        district=district,
        groups=_by_date(answers),
        next_days=NEXT_DAYS,
        direct_hold={a.office.id: not fairness.altcha_required(a.office) for a in answers},
    )


def _by_date(answers: list[earliest.OfficeAnswer]) -> list[DateGroup]:
    """The answers grouped by the local date of their earliest time, earliest first."""
    groups: dict[dt.date | None, list[earliest.OfficeAnswer]] = {}
    for answer in answers:  # already earliest first, those without a time last
        day = answer.earliest.astimezone(answer.office.zone).date() if answer.earliest else None
        groups.setdefault(day, []).append(answer)
    return [DateGroup(day, found) for day, found in groups.items()]
