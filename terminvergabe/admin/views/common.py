"""The blueprint and the helpers every admin page shares: the office or municipality and its
rows, form pages, and changes saved safely.

A change that could take capacity from booked appointments goes through `save_safely`: the
manager first sees the appointments it would leave without a counter and decides, per
appointment, to move or cancel.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from terminvergabe.admin import capacity
from terminvergabe.admin.operations import CANCEL, Resolution, apply_change, delete_row
from terminvergabe.auth.access import administers, current_staff, ensure_office, role_required
from terminvergabe.booking.models import (
    Counter,
    Municipality,
    Offer,
    Office,
    OfficeMembership,
    Role,
    Service,
    StaffMember,
)
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import now

bp = Blueprint("admin", __name__, url_prefix="/admin")

manager_required = role_required(Role.ADMIN, Role.OFFICE_MANAGER)
# Municipality pages: `get_municipality` then refuses administrators of another municipality.
admin_required = role_required(Role.ADMIN)


def get_office(office_id: int) -> Office:
    ensure_office(office_id)
    office = db.session.get(Office, office_id)
    if office is None:
        abort(404)
    return office


def get_municipality(municipality_id: int) -> Municipality:
    """The municipality, for its administrators and the installation's operator only (403 for
    everyone else, whether it exists or not, as for offices)."""
    staff = current_staff()
    if staff is None or not administers(staff, municipality_id):
        abort(403)
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        abort(404)
    return municipality


def municipality_office(municipality: Municipality, office_id: int) -> Office:
    office = db.session.get(Office, office_id)
    if office is None or office.municipality_id != municipality.id:
        abort(404)
    return office


def catalogue_service(municipality: Municipality, service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or service.municipality_id != municipality.id:
        abort(404)
    return service


def municipality_offices(municipality: Municipality) -> list[Office]:
    return db.session.scalars(
        sa.select(Office).where(Office.municipality_id == municipality.id).order_by(Office.name)
    ).all()


def catalogue(municipality: Municipality) -> list[Service]:
    return db.session.scalars(
        sa.select(Service)
        .where(Service.municipality_id == municipality.id)
        .order_by(Service.position, Service.name, Service.id)
    ).all()


def owned(model, object_id: int, office: Office):
    """A row of `model` that belongs to `office`, else 404 (never another office's row)."""
    row = db.session.get(model, object_id)
    if isinstance(row, StaffMember):
        offices = row.office_ids
    elif hasattr(row, "office_id"):
        offices = [row.office_id]
    elif row is not None:  # a shift exception: of the offices its staff member works in
        offices = row.staff_member.office_ids
    if row is None or office.id not in offices:
        abort(404)
    return row


def office_offers(office: Office) -> list[Offer]:
    """The office's offers, in its order."""
    return db.session.scalars(
        sa.select(Offer).where(Offer.office_id == office.id).order_by(Offer.position, Offer.id)
    ).all()


def office_counters(office: Office) -> list[Counter]:
    return db.session.scalars(
        sa.select(Counter).where(Counter.office_id == office.id).order_by(Counter.position)
    ).all()


def office_staff(office: Office) -> list[StaffMember]:
    return db.session.scalars(
        sa.select(StaffMember)
        .join(OfficeMembership)
        .where(OfficeMembership.office_id == office.id)
        .order_by(StaffMember.name)
    ).all()


def done(message: str, endpoint: str, office: Office | None = None, **url_args):
    """Commit, say so, and go to `endpoint` (of the office, when given)."""
    db.session.commit()
    flash(message)
    if office is not None:
        url_args["office_id"] = office.id
    return redirect(url_for(endpoint, **url_args))


def form_page(template: str, office: Office, form, **context):
    """A page with a form; 422 when a submitted form had errors (shown beside the fields)."""
    page = render_template(template, office=office, form=form, **context)
    return page, (422 if form.errors else 200)


def edit_page(office: Office, form, title: str, back_endpoint: str):
    back = url_for(back_endpoint, office_id=office.id)
    return form_page("admin/edit.html", office, form, title=title, back=back)


# -- safe changes ----------------------------------------------------------------------------


def _resolutions() -> dict[int, Resolution]:
    """From the confirmation page: resolve-<appointment id> = "cancel" or an ISO start time."""
    chosen = {}
    for key, value in request.form.items():
        if not key.startswith("resolve-"):
            continue
        try:
            appointment_id = int(key.removeprefix("resolve-"))
        except ValueError:
            continue
        if value == CANCEL:
            chosen[appointment_id] = Resolution(CANCEL)
        else:
            try:
                start = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
            except ValueError:
                continue
            chosen[appointment_id] = Resolution("move", start)
    return chosen


def save_safely(office: Office, change, message: str, endpoint: str, reason: str = "", **url_args):
    """Save `change` when it breaks no booking; else show the affected appointments first.
    Afterwards to `endpoint` of the office (with `url_args`)."""
    when = now()
    if request.form.get("confirm_change") == "1":
        try:
            apply_change(office, change, _resolutions(), current_staff(), when, reason)
        except DomainError as error:
            # A decision is missing, or a chosen time was taken meanwhile: nothing is saved;
            # show the affected appointments again with the reason.
            db.session.rollback()
            flash(error.message)
        else:
            return done(message, endpoint, office, **url_args)
    found = capacity.impact(office, change, when)
    if found.safe:
        change()
        return done(message, endpoint, office, **url_args)
    replay = [
        (key, value)
        for key, value in request.form.items(multi=True)
        if key not in ("csrf_token", "confirm_change") and not key.startswith("resolve-")
    ]
    return render_template(
        "admin/confirm_change.html",
        office=office,
        impact=found,
        replay=replay,
        action=request.path,
    ), 409


def delete_safely(office_id: int, row: tuple, message: str, endpoint: str, action: str):
    """Remove a schedule row, given as (model, id, fields the log keeps); like any loss of
    capacity, booked appointments are asked about."""
    model, row_id, fields = row
    office = get_office(office_id)
    found = owned(model, row_id, office)

    def change():
        delete_row(found, fields, current_staff(), action, office.id, now())

    return save_safely(office, change, message, endpoint)
