"""The start page (the municipalities and offices a member manages), an office's start page,
its booking rules, and a booked appointment cancelled by the office."""

from __future__ import annotations

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.admin import capacity, forms
from terminvergabe.admin.operations import cancel_by_office, save_row
from terminvergabe.admin.views.common import (
    bp,
    done,
    edit_page,
    get_office,
    manager_required,
    owned,
)
from terminvergabe.auth.access import (
    administers,
    current_staff,
    is_admin,
    is_operator,
    may_access_office,
    offices_of,
)
from terminvergabe.booking.models import Appointment, Municipality, Role
from terminvergabe.db import db
from terminvergabe.time import now


def _administered(staff) -> list[Municipality]:
    """The municipalities whose offices, catalogue and staff the member looks after."""
    if not is_admin(staff):
        return []
    query = sa.select(Municipality).order_by(Municipality.name)
    if not is_operator(staff):
        query = query.where(Municipality.id == staff.municipality_id)
    return db.session.scalars(query).all()


@bp.route("/")
@manager_required
def index():
    """What the member may manage: their municipalities (administrators) and offices."""
    staff = current_staff()
    managed = frozenset({Role.OFFICE_MANAGER})
    offices = [o for o in offices_of(staff) if may_access_office(staff, o, managed)]
    municipalities = _administered(staff)
    if len(offices) == 1 and not municipalities:
        return redirect(url_for("admin.office", office_id=offices[0].id))
    return render_template(
        "admin/index.html", offices=offices, municipalities=municipalities, office=None
    )


@bp.route("/<int:office_id>/")
@manager_required
def office(office_id):
    office = get_office(office_id)
    when = now()
    return render_template(
        "admin/office.html",
        office=office,
        unstaffed=capacity.affected_appointments(office, when),
        entries=audit.entries(office.id, limit=20),
        may_describe=administers(current_staff(), office.municipality_id),
    )


@bp.route("/<int:office_id>/rules", methods=["GET", "POST"])
@manager_required
def rules(office_id):
    office = get_office(office_id)
    form = forms.RulesForm(obj=office)
    if form.validate_on_submit():
        # Rules shape new bookings only; booked appointments keep their times.
        values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        save_row(office, values, current_staff(), "booking_rules", office.id, now())
        return done(_("The booking rules were saved."), "admin.rules", office)
    return edit_page(office, form, _("Booking rules"), "admin.office")


@bp.route("/<int:office_id>/appointments/<int:appointment_id>/cancel", methods=["POST"])
@manager_required
def cancel_appointment(office_id, appointment_id):
    office = get_office(office_id)
    appointment = owned(Appointment, appointment_id, office)
    cancel_by_office(appointment, current_staff(), now(), request.form.get("reason", ""))
    return done(_("The appointment was cancelled."), "admin.office", office)
