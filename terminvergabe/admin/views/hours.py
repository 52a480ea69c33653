"""Opening hours and closures of an office: when it takes appointments at all."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from terminvergabe.admin import forms
from terminvergabe.admin.operations import delete_row, save_row
from terminvergabe.admin.views.common import (
    bp,
    delete_safely,
    done,
    form_page,
    get_office,
    manager_required,
    owned,
    save_safely,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.booking.models import Closure, OpeningHours
from terminvergabe.db import db
from terminvergabe.time import now

HOURS_FIELDS = ("weekday", "start_local", "end_local")
CLOSURE_FIELDS = ("first_day", "last_day", "reason")


@bp.route("/<int:office_id>/closures", methods=["GET", "POST"])
@manager_required
def closures(office_id):
    office = get_office(office_id)
    form = forms.ClosureForm()
    if form.validate_on_submit():

        def change():
            values = {name: getattr(form, name).data for name in CLOSURE_FIELDS}
            values["reason"] = values["reason"] or ""
            row = Closure(office=office)
            save_row(row, values, current_staff(), "closure_create", office.id, now())

        return save_safely(
            office, change, _("The closure was saved."), "admin.closures", form.reason.data
        )
    rows = db.session.scalars(
        sa.select(Closure).where(Closure.office_id == office.id).order_by(Closure.first_day)
    ).all()
    return form_page("admin/closures.html", office, form, closures=rows)


@bp.route("/<int:office_id>/closures/<int:closure_id>/delete", methods=["POST"])
@manager_required
def delete_closure(office_id, closure_id):
    office = get_office(office_id)
    row = owned(Closure, closure_id, office)
    delete_row(row, CLOSURE_FIELDS, current_staff(), "closure_delete", office.id, now())
    return done(_("The closure was removed."), "admin.closures", office)


@bp.route("/<int:office_id>/hours", methods=["GET", "POST"])
@manager_required
def hours(office_id):
    office = get_office(office_id)
    form = forms.OpeningHoursForm()
    if form.validate_on_submit():

        def change():
            values = {name: getattr(form, name).data for name in HOURS_FIELDS}
            row = OpeningHours(office=office)
            save_row(row, values, current_staff(), "hours_create", office.id, now())

        return save_safely(office, change, _("The opening hours were saved."), "admin.hours")
    rows = db.session.scalars(
        sa.select(OpeningHours)
        .where(OpeningHours.office_id == office.id)
        .order_by(OpeningHours.weekday, OpeningHours.start_local)
    ).all()
    return form_page("admin/hours.html", office, form, hours=rows, weekdays=forms.weekday_names())


@bp.route("/<int:office_id>/hours/<int:hours_id>/delete", methods=["POST"])
@manager_required
def delete_hours(office_id, hours_id):
    message = _("The opening hours were removed.")
    row = (OpeningHours, hours_id, HOURS_FIELDS)
    return delete_safely(office_id, row, message, "admin.hours", "hours_delete")
