"""The municipality part of the JSON API (views in citizen/api.py): finding a municipality and
the offices a request names, and the catalogue, the offices and the availability across
offices as plain dicts for the models of citizen/schemas.py.

Only a municipality's public offices and the services they offer to citizens are shown; an
office of another municipality is refused under this municipality's slug as if unknown.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from terminvergabe import params
from terminvergabe.booking import municipalities
from terminvergabe.booking.earliest import OfficeAnswer
from terminvergabe.booking.models import Municipality, Offer, Office, Service
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fields import has_control_characters
from terminvergabe.i18n import OFFICE_LANGUAGE

SLUG_MAX = 64
MAX_OFFICES = 100  # offices named in one availability question
TEXT_FIELDS = ("name", "description", "what_to_bring")


# -- finding ---------------------------------------------------------------------------------


def municipality(slug: str) -> Municipality:
    found = None
    if not has_control_characters(slug) and len(slug) <= SLUG_MAX:
        found = municipalities.by_slug(slug)
    if found is None:
        raise DomainError("not_found", _("There is no municipality with this name."), 404)
    return found


def public_offices(place: Municipality) -> list[Office]:
    """The municipality's public offices by name, with their offers and services loaded."""
    return db.session.scalars(
        sa.select(Office)
        .where(Office.municipality_id == place.id, Office.public)
        .options(selectinload(Office.offers))
        .order_by(Office.name, Office.id)
    ).all()


def chosen_offices(offices: list[Office], slugs: str | None, district: str | None) -> list:
    """The offices a question names (`offices=a,b`; none: all) and in the part of town
    `district` (none: any). Refuses slugs that are not public offices of this municipality and
    districts none of them is in."""
    if slugs is not None:
        wanted = [s.strip() for s in slugs.split(",") if s.strip()]
        by_slug = {office.slug: office for office in offices}
        unknown = [s for s in wanted if s not in by_slug]
        if unknown or not wanted or len(wanted) > MAX_OFFICES:
            name = unknown[0][:SLUG_MAX] if unknown else ""
            raise DomainError(
                "unknown_office",
                _("This municipality has no office named “%(office)s”.", office=name),
                422,
            )
        offices = [by_slug[s] for s in dict.fromkeys(wanted)]
    if district is not None:
        offices = [o for o in offices if o.district.casefold() == district.strip().casefold()]
        if not offices:
            raise DomainError(
                "unknown_district",
                _(
                    "None of the chosen offices is in the part of town “%(district)s”.",
                    district=district[:100],
                ),
                422,
            )
    return offices


def checked_selection(place: Municipality, offices: list[Office], text: str | None) -> dict:
    """`services=12:2,15:1` as {service id: quantity}: refused unless each is a catalogue
    service of this municipality that one of its public offices offers to citizens, at least
    that many times."""
    selection = params.parse_selection(text)
    if not selection:
        raise DomainError("no_service", _("Please choose at least one service."), status=422)
    most: dict[int, tuple[Service, int]] = {}
    for office in offices:
        for offer in office.public_offers:
            known = most.get(offer.service_id)
            if known is None or known[1] < offer.max_quantity:
                most[offer.service_id] = (offer.service, offer.max_quantity)
    for service_id, quantity in selection.items():
        if service_id not in most or most[service_id][0].municipality_id != place.id:
            raise DomainError("unknown_service", _("This service is not offered here."), 422)
        service, limit = most[service_id]
        if quantity > limit:
            raise DomainError(
                "quantity",
                ngettext(
                    "%(service)s can be booked at most %(max)d time per appointment.",
                    "%(service)s can be booked at most %(max)d times per appointment.",
                    limit,
                    service=service.name,
                    max=limit,
                ),
                422,
            )
    return selection


# -- rendering -------------------------------------------------------------------------------


def municipality_json(place: Municipality) -> dict:
    return {
        "slug": place.slug,
        "name": place.name,
        "links": {
            "self": url_for("api.municipality", slug=place.slug),
            "services": url_for("api.municipality_services", slug=place.slug),
            "offices": url_for("api.municipality_offices", slug=place.slug),
            "availability": url_for("api.municipality_availability", slug=place.slug),
        },
    }


def municipality_detail_json(place: Municipality) -> dict:
    return municipality_json(place) | {
        "operator": {
            "name": place.operator_name,
            "address": place.operator_address,
            "email": place.operator_email,
            "phone": place.operator_phone,
        },
    }


def catalogue_json(offices: list[Office], locale: str) -> list[dict]:
    """The catalogue services the public offices offer to citizens, in catalogue order, each
    with the offices that offer it."""
    offers: dict[int, list[Offer]] = {}
    for office in offices:
        for offer in office.public_offers:
            offers.setdefault(offer.service_id, []).append(offer)
    services = sorted(
        {found[0].service for found in offers.values()}, key=lambda s: (s.position, s.id)
    )
    return [_service_json(service, offers[service.id], locale) for service in services]


def _service_json(service: Service, offers: list[Offer], locale: str) -> dict:
    translated = (service.translations or {}).get(locale[:2], {})
    return {
        "id": service.id,
        **{name: service.text(name, locale) for name in TEXT_FIELDS},
        "language": {
            name: locale[:2] if translated.get(name) else OFFICE_LANGUAGE for name in TEXT_FIELDS
        },
        "leika_id": service.leika_id,
        "fee_cents": service.fee_cents,
        "fee_note": service.fee_note,
        "synonyms": service.synonym_list,
        "offices": [
            {
                "office": offer.office.slug,
                "duration_minutes": offer.duration_minutes,
                "max_quantity": offer.max_quantity,
                "modes": [str(mode) for mode in offer.mode_list],
            }
            for offer in offers
        ],
    }


def office_json(office: Office) -> dict:
    return {
        "slug": office.slug,
        "name": office.name,
        "district": office.district,
        "address": {"street": office.street, "postcode": office.postcode, "city": office.city},
        "directions": office.directions,
        "step_free": office.step_free,
        "accessibility_note": office.accessibility_note,
        "email": office.email,
        "phone": office.phone,
        "time_zone": office.time_zone,
        "services": [offer.service_id for offer in office.public_offers],
        "links": _office_links(office),
    }


def _office_links(office: Office, selection: dict[int, int] | None = None) -> dict:
    query = {"services": params.format_selection(selection)} if selection else {}
    return {
        "services": url_for("api.services", slug=office.slug),
        "days": url_for("api.days", slug=office.slug, **query),
        "times": url_for("api.times", slug=office.slug, **query),
        "holds": url_for("api.hold", slug=office.slug),
    }


def answer_json(answer: OfficeAnswer, selection: dict[int, int]) -> dict:
    """An office's answer; its earliest time is added by the view, which formats times."""
    office = answer.office
    return {
        "slug": office.slug,
        "name": office.name,
        "district": office.district,
        "time_zone": office.time_zone,
        "days": [day.isoformat() for day in answer.days or ()],
        "links": _office_links(office, selection),
    }
