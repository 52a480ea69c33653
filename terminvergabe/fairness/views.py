"""Pages of the waitlist (register, confirm, offer, leave) and the ALTCHA challenge endpoint.

Links in mails only show a page; the change happens on the button (POST), so that a mail
scanner that follows links cannot confirm, claim or leave for the citizen.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import get_locale

from terminvergabe import fields
from terminvergabe.booking import availability, municipalities
from terminvergabe.booking.models import Office
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import altcha, limits, offers, waitlist
from terminvergabe.fairness.models import EntryStatus
from terminvergabe.limiter import limiter
from terminvergabe.params import format_selection, parse_date, parse_selection
from terminvergabe.time import local_date, now

bp = Blueprint("waitlist", __name__)


def _office(slug: str) -> Office:
    office = db.session.scalar(sa.select(Office).where(Office.slug == slug))
    if office is None or not municipalities.shown_here(office.municipality_id):
        abort(404)
    return office


@bp.get("/altcha/challenge")
@limiter.limit(lambda: "30/minute")
def challenge():
    response = jsonify(altcha.create_challenge())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/waitlist/<slug>", methods=["GET", "POST"])
@limits.waitlist_limit
def register(slug: str):
    office = _office(slug)
    form = request.form if request.method == "POST" else request.args
    selection = parse_selection(form.get("services"))
    chosen = availability.validate_selection(office, selection)
    today = local_date(now(), office.zone)
    values = {
        "first_day": form.get("first_day", today.isoformat()),
        "last_day": form.get("last_day", ""),
        "name": form.get("name", ""),
        "email": form.get("email", ""),
    }
    errors = _field_errors(values) if request.method == "POST" else {}
    if request.method == "POST" and not errors:
        try:
            entry = waitlist.register(
                office,
                selection,
                parse_date(values["first_day"]),
                parse_date(values["last_day"]),
                values["name"],
                values["email"],
                str(get_locale()),
                now(),
            )
        except DomainError as error:
            if error.status >= 500:
                raise
            errors[_field_of(error.code)] = error.message
        else:
            db.session.commit()
            return render_template("waitlist/registered.html", office=office, entry=entry)
    return render_template(
        "waitlist/register.html",
        office=office,
        chosen=chosen,
        services=format_selection(selection),
        values=values,
        errors=errors,
        today=today,
    ), (422 if errors else 200)


# The name is optional here; otherwise the rules are those of every form and of the API.
_FIELDS = {"name": dataclasses.replace(fields.NAME, missing=None), "email": fields.EMAIL}


def _field_errors(values: dict[str, str]) -> dict[str, str]:
    """A message per field its rule refuses; the others' values cleaned in place."""
    errors = {}
    for name, rule in _FIELDS.items():
        try:
            values[name] = rule.clean(values[name])
        except fields.FieldError as error:
            errors[name] = error.message
    return errors


def _claimant_name() -> str:
    try:
        return _FIELDS["name"].clean(request.form.get("name", ""))
    except fields.FieldError as error:
        raise DomainError("invalid_body", error.message, status=422) from None


def _field_of(code: str) -> str:
    return {"email": "email", "waitlist_dates": "last_day", "bad_date": "last_day"}.get(
        code, "form"
    )


def _entry(token: str):
    entry = waitlist.find_entry(token)
    if entry is None:
        abort(404)
    return entry


@bp.route("/waitlist/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    entry = _entry(token)
    if request.method == "POST":
        waitlist.confirm_entry(entry, now())
        db.session.commit()
    return render_template(
        "waitlist/confirm.html",
        entry=entry,
        names=waitlist.entry_selection_names(entry),
        EntryStatus=EntryStatus,
    )


@bp.route("/waitlist/leave/<token>", methods=["GET", "POST"])
def leave(token: str):
    entry = _entry(token)
    if request.method == "POST":
        waitlist.leave(entry, now())
        db.session.commit()
    return render_template(
        "waitlist/leave.html",
        entry=entry,
        names=waitlist.entry_selection_names(entry),
        EntryStatus=EntryStatus,
    )


@bp.route("/waitlist/offer/<token>", methods=["GET", "POST"])
@limits.confirm_limit
def offer(token: str):
    found = offers.find_offer(token)
    if found is None:
        abort(404)
    appointment = None
    if request.method == "POST":
        appointment = offers.claim(found, _claimant_name(), now())
        db.session.commit()
    return render_template(
        "waitlist/offer.html",
        offer=found,
        entry=found.entry,
        appointment=appointment or found.appointment,
        names=waitlist.entry_selection_names(found.entry),
        is_open=found.is_open(now()),
    )
