"""JSON API under /api/v1/ for city portals and apps. Calls the same operations as the pages.

Every view parses its input (query string: terminvergabe/params.py; JSON bodies: the models of
citizen/schemas.py), calls one operation, commits once and renders JSON through a model.
Refusals are DomainErrors, rendered by terminvergabe/errors.py as
{"error": {"code", "message", ...}} in the request's language.
An appointment is only ever reachable by its manage token, never by its numeric id.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from terminvergabe import params
from terminvergabe.booking import availability, codes, earliest, operations
from terminvergabe.booking.models import Appointment, AppointmentStatus, Municipality, Office
from terminvergabe.booking.municipalities import host_municipality, shown_here
from terminvergabe.citizen import municipality_api as city
from terminvergabe.citizen import openapi, schemas
from terminvergabe.citizen.schemas import dump
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import holds as fairness
from terminvergabe.fairness import limits
from terminvergabe.fields import FieldError, has_control_characters
from terminvergabe.time import now as current_time

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OFFICE_SLUG_MAX = 64
# Manage tokens are URL-safe base64 (secrets.token_urlsafe); anything else cannot be one.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Statuses in which the citizen may show the check-in credential (QR code) at the front desk.
CHECKIN_STATUSES = (AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN)


# -- reading ---------------------------------------------------------------------------------


@bp.get("/offices")
def offices():
    query = sa.select(Office).order_by(Office.name, Office.id)
    host = host_municipality()
    if host is not None:  # a municipality's own host lists its offices only
        query = query.where(Office.municipality_id == host.id)
    rows = db.session.scalars(query)
    return jsonify(dump(schemas.OfficeList(offices=[_office_json(office) for office in rows])))


@bp.get("/offices/<slug>/services")
def services(slug: str):
    office = _office(slug)
    services = [_service_json(o) for o in office.public_offers]
    return jsonify(dump(schemas.ServiceList(office=office.slug, services=services)))


@bp.get("/offices/<slug>/days")
@limits.search_limit
def days(slug: str):
    office = _office(slug)
    selection = params.parse_selection(request.args.get("services"))
    found = availability.available_days(office, selection, current_time())
    days = [day.isoformat() for day in found]
    return jsonify(dump(schemas.Days(**_selection_json(office, selection), days=days)))


@bp.get("/offices/<slug>/times")
@limits.search_limit
def times(slug: str):
    office = _office(slug)
    selection = params.parse_selection(request.args.get("services"))
    day = params.parse_date(request.args.get("date"))
    starts = availability.available_starts(office, selection, day, current_time())
    chosen = _selection_json(office, selection)
    length = dt.timedelta(minutes=chosen["duration_minutes"])
    times = [_time_json(office, start, start + length) for start in sorted(starts)]
    return jsonify(dump(schemas.Times(**chosen, date=day.isoformat(), times=times)))


@bp.get("/municipalities")
def municipalities():
    rows = db.session.scalars(sa.select(Municipality).order_by(Municipality.name, Municipality.id))
    found = [city.municipality_json(place) for place in rows]
    return jsonify(dump(schemas.MunicipalityList(municipalities=found)))


@bp.get("/municipalities/<slug>")
def municipality(slug: str):
    return jsonify(
        dump(schemas.MunicipalityDetail(**city.municipality_detail_json(city.municipality(slug))))
    )


@bp.get("/municipalities/<slug>/services")
def municipality_services(slug: str):
    place = city.municipality(slug)
    locale = str(get_locale())
    services = city.catalogue_json(city.public_offices(place), locale)
    return jsonify(
        dump(schemas.Catalogue(municipality=place.slug, language=locale, services=services))
    )


@bp.get("/municipalities/<slug>/offices")
def municipality_offices(slug: str):
    place = city.municipality(slug)
    offices = [city.office_json(office) for office in city.public_offices(place)]
    return jsonify(dump(schemas.MunicipalityOffices(municipality=place.slug, offices=offices)))


@bp.get("/municipalities/<slug>/availability")
@limits.search_limit
def municipality_availability(slug: str):
    place = city.municipality(slug)
    offices = city.chosen_offices(
        city.public_offices(place), request.args.get("offices"), request.args.get("district")
    )
    selection = city.checked_selection(place, offices, request.args.get("services"))
    answers = earliest.across(offices, selection, current_time())
    found = [city.answer_json(a, selection) | _earliest_json(a) for a in answers]
    chosen = [{"id": service, "quantity": count} for service, count in selection.items()]
    return jsonify(
        dump(schemas.Availability(municipality=place.slug, services=chosen, offices=found))
    )


@bp.get("/appointments/<token>")
def appointment(token: str):
    found = _appointment(token)
    return jsonify(_appointment_json(found, current_time()))


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(current_app.config["LANGUAGES"]))


# -- changing --------------------------------------------------------------------------------


@bp.post("/offices/<slug>/holds")
@limits.hold_limit
def hold(slug: str):
    office = _office(slug)
    body = _read_body(schemas.HoldRequest)
    selection = _selection(body.services)
    locale = _locale_field(body.locale)
    start_at = params.parse_start(body.start)
    now = current_time()
    with _alternatives_in_office_time(office):
        # proof-of-work or a stricter limit; open holds per client
        held = fairness.hold_for_client(office, selection, start_at, now, locale)
    payload = _appointment_json(held, now)  # before the commit, which expires what it read
    db.session.commit()
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = url_for(".appointment", token=payload["token"])
    return response


@bp.post("/appointments/<token>/confirm")
@limits.confirm_limit
def confirm(token: str):
    found = _appointment(token, refuse_lapsed=True)
    body = _read_body(schemas.ConfirmRequest)
    now = current_time()
    operations.confirm(found, body.name, body.email, body.phone, now, mode=body.mode)
    payload = _appointment_json(found, now)  # before the commit, which expires what it read
    db.session.commit()
    return jsonify(payload)


@bp.post("/appointments/<token>/cancel")
def cancel(token: str):
    found = _appointment(token, refuse_lapsed=True)
    _read_body(schemas.EmptyRequest)
    now = current_time()
    operations.cancel(found, now)
    db.session.commit()
    return jsonify(_appointment_json(found, now))


@bp.post("/appointments/<token>/rebook")
def rebook(token: str):
    found = _appointment(token, refuse_lapsed=True)
    body = _read_body(schemas.RebookRequest)
    start_at = params.parse_start(body.start)
    now = current_time()
    with _alternatives_in_office_time(found.office):
        operations.rebook(found, start_at, now)
    db.session.commit()
    return jsonify(_appointment_json(found, now))


# -- finding ---------------------------------------------------------------------------------


def _office(slug: str) -> Office:
    office = None
    if not has_control_characters(slug) and len(slug) <= OFFICE_SLUG_MAX:
        office = db.session.scalar(sa.select(Office).where(Office.slug == slug))
    if office is None or not shown_here(office.municipality_id):
        raise DomainError("not_found", _("There is no office with this name."), 404)
    return office


def _appointment(token: str, refuse_lapsed: bool = False) -> Appointment:
    """The appointment of a manage token. A hold that lapsed is marked expired now (and the
    change committed), so that every reader sees the same status whether or not the sweep ran."""
    found = codes.find_by_manage_token(token) if TOKEN_PATTERN.fullmatch(token) else None
    if found is None or not shown_here(found.office.municipality_id):
        raise DomainError("not_found", _("There is no appointment with this link."), 404)
    if operations.expire(found, current_time()):
        db.session.commit()
    if refuse_lapsed and found.status == AppointmentStatus.EXPIRED:
        raise DomainError(
            "hold_expired",
            _("Your reservation of this time has expired. Please choose a time again."),
            410,
        )
    return found


@contextmanager
def _alternatives_in_office_time(office: Office):
    """A `slot_taken` refusal lists its alternatives like the times endpoint does (office time
    and UTC) rather than as bare UTC strings."""
    try:
        yield
    except DomainError as error:
        if "alternatives" in error.details:
            error.details["alternatives"] = [
                _time_json(office, dt.datetime.fromisoformat(start), None)
                for start in error.details["alternatives"]
            ]
        raise


# -- request bodies --------------------------------------------------------------------------

_TYPE_NAMES = {
    "string_type": "string",
    "int_type": "integer",
    "list_type": "array",
    "model_type": "object",
    "dict_type": "object",
}
# Errors of a body's shape; where the body itself has one, its fields are named first.
_SHAPE_ERRORS = {"missing", "extra_forbidden", *_TYPE_NAMES}

Body = TypeVar("Body", bound=BaseModel)


def _read_body(model: type[Body]) -> Body:
    """The JSON object of the request as `model`. An empty body counts as {}."""
    if not request.get_data(cache=True).strip():
        body = {}
    elif not request.is_json:
        raise DomainError(
            "unsupported_media_type",
            _("Please send the request body as JSON (Content-Type: application/json)."),
            415,
        )
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise DomainError(
                "malformed_json", _("The request body must be a JSON object."), status=400
            )
    try:
        return model.model_validate(body)
    except ValidationError as error:
        _refuse(_field_messages(error.errors()))


def _field_messages(errors: list[dict]) -> dict[str, str]:
    """pydantic's errors as {"services[0].quantity": translated message}."""
    outer = [e for e in errors if len(e["loc"]) == 1 and e["type"] in _SHAPE_ERRORS]
    return {_field_name(e["loc"]): _message(e) for e in outer or errors}


def _field_name(loc: tuple) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is unknown.")
    if kind in _TYPE_NAMES:
        return _("This field must be of type %(type)s.", type=_TYPE_NAMES[kind])
    if kind == "too_long":  # the list of services
        return ngettext(
            "At most %(count)d service can be booked together.",
            "At most %(count)d services can be booked together.",
            params.MAX_SELECTION_ITEMS,
            count=params.MAX_SELECTION_ITEMS,
        )
    if kind in ("greater_than_equal", "less_than_equal"):
        return _(
            "This number must be between %(min)d and %(max)d.",
            min=1,
            max=schemas.MAX_INTEGER,
        )
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, FieldError):
        return cause.message
    return _("This value is not valid.")


def _refuse(problems: dict[str, str]) -> NoReturn:
    raise DomainError(
        "invalid_body",
        _("Some fields are missing or not valid. Please check them."),
        422,
        fields=problems,
    )


def _selection(choices: list[schemas.ServiceChoice]) -> dict[int, int]:
    """[{"id": 12, "quantity": 2}, ...] -> {12: 2}. The limits per service (max quantity,
    public, offered here) are checked by the operation."""
    selection: dict[int, int] = {}
    for choice in choices:
        selection[choice.id] = selection.get(choice.id, 0) + choice.quantity
    return selection


def _locale_field(value: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    if value is None:
        return str(get_locale())
    if value not in languages:
        _refuse({"locale": _("Please choose one of: %(choices)s.", choices=", ".join(languages))})
    return value


# -- rendering -------------------------------------------------------------------------------


def _utc(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _local(office: Office, instant: dt.datetime) -> str:
    return instant.astimezone(office.zone).isoformat(timespec="seconds")


def _time_json(office: Office, start: dt.datetime, end: dt.datetime | None) -> dict:
    out = {"start": _local(office, start), "start_utc": _utc(start)}
    if end is not None:
        out |= {"end": _local(office, end), "end_utc": _utc(end)}
    return out


def _earliest_json(answer: earliest.OfficeAnswer) -> dict:
    start = answer.earliest
    if start is None:
        return {"earliest": None, "earliest_utc": None}
    return {"earliest": _local(answer.office, start), "earliest_utc": _utc(start)}


def _office_json(office: Office) -> dict:
    return {
        "slug": office.slug,
        "name": office.name,
        "address": {"street": office.street, "postcode": office.postcode, "city": office.city},
        "email": office.email,
        "phone": office.phone,
        "time_zone": office.time_zone,
        "bundesland": office.bundesland,
        "booking_rules": {
            "slot_minutes": office.slot_minutes,
            "horizon_days": office.horizon_days,
            "lead_minutes": office.lead_minutes,
            "release_time": office.release_time.strftime("%H:%M"),
            "hold_minutes": office.hold_minutes,
            "max_active_per_email": office.max_active_per_email,
            "cancel_deadline_minutes": office.cancel_deadline_minutes,
            "double_opt_in": office.double_opt_in,
            "opt_in_minutes": office.opt_in_minutes,
        },
        "links": {
            "services": url_for(".services", slug=office.slug),
            "days": url_for(".days", slug=office.slug),
            "times": url_for(".times", slug=office.slug),
            "holds": url_for(".hold", slug=office.slug),
        },
    }


def _service_json(offer) -> dict:
    service = offer.service
    return {
        "id": service.id,
        "name": service.name,
        "description": service.description,
        "duration_minutes": offer.duration_minutes,
        "max_quantity": offer.max_quantity,
        "leika_id": service.leika_id,
        "what_to_bring": service.what_to_bring,
    }


def _selection_json(office: Office, selection: dict[int, int]) -> dict:
    chosen = availability.validate_selection(office, selection)
    return {
        "office": office.slug,
        "time_zone": office.time_zone,
        "services": [{"id": o.service_id, "quantity": q} for o, q in chosen.items()],
        "duration_minutes": availability.selection_minutes(office, chosen),
    }


def _modes(appointment: Appointment) -> list[str]:
    try:
        return [m.value for m in availability.appointment_modes(appointment)]
    except DomainError:  # the office's offers no longer share a way: only the one it has
        return [appointment.mode]


def _appointment_json(appointment: Appointment, now: dt.datetime) -> dict:
    office = appointment.office
    hold_expires_at = appointment.hold_expires_at
    fields = {
        "token": appointment.manage_token,
        "booking_code": codes.format_booking_code(appointment.booking_code),
        "status": str(appointment.status),
        "office": office.slug,
        "time_zone": office.time_zone,
        "services": [
            {"id": item.service_id, "name": item.service.name, "quantity": item.quantity}
            for item in appointment.items
        ],
        "mode": appointment.mode,
        "modes": _modes(appointment),
        "video_url": availability.video_url(appointment),
        **_time_json(office, appointment.start_at, appointment.end_at),
        "hold_expires_at": _utc(hold_expires_at) if hold_expires_at else None,
        "cancel_deadline": _local(office, appointment.cancel_deadline()),
        "can_cancel": appointment.can_cancel(now),
        "can_rebook": appointment.can_rebook(now),
        "locale": appointment.locale,
        "contact": {
            "name": appointment.citizen_name,
            "email": appointment.citizen_email,
            "phone": appointment.citizen_phone,
        },
        "checkin_token": (
            appointment.checkin_token if appointment.status in CHECKIN_STATUSES else None
        ),
        "links": {"self": url_for(".appointment", token=appointment.manage_token)},
    }
    return dump(schemas.Appointment(**fields))
