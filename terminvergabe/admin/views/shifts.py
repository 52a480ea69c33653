"""Weekly shifts and dated exceptions (absences, extra hours) of an office's staff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _

from terminvergabe.admin import forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    bp,
    delete_safely,
    edit_page,
    get_office,
    manager_required,
    office_counters,
    office_staff,
    owned,
    save_safely,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.booking.models import (
    Counter,
    OfficeMembership,
    ShiftException,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.db import db
from terminvergabe.time import local_date, now

PATTERN_FIELDS = ("staff_member", "counter", "weekday", "start_local", "end_local")
PATTERN_FIELDS += ("valid_from", "valid_until")
EXCEPTION_FIELDS = ("staff_member", "date", "kind", "start_local", "end_local", "note")


def _shift_forms(office):
    staff_choices = forms.choices((m.id, m.name) for m in office_staff(office))
    counter_choices = forms.office_choices(
        ((c.id, c.name) for c in office_counters(office)), options=True
    )
    pattern = forms.ShiftPatternForm(prefix="pattern")
    exception = forms.ShiftExceptionForm(prefix="exception")
    for form in (pattern, exception):
        form.staff_member_id.choices = staff_choices
    pattern.counter_id.choices = counter_choices
    exception.counter_id.choices = [*forms.choices([(0, "—")]), *counter_choices]
    return pattern, exception


def _shift_page(office, pattern, exception, status=200):
    patterns = db.session.scalars(
        sa.select(ShiftPattern)
        .join(Counter)
        .where(Counter.office_id == office.id)
        .order_by(ShiftPattern.weekday, ShiftPattern.start_local)
    ).all()
    exceptions = db.session.scalars(
        sa.select(ShiftException)
        .join(OfficeMembership, OfficeMembership.staff_member_id == ShiftException.staff_member_id)
        .where(
            OfficeMembership.office_id == office.id,
            ShiftException.date >= local_date(now(), office.zone),
        )
        .order_by(ShiftException.date)
    ).all()
    return render_template(
        "admin/shifts.html",
        office=office,
        pattern_form=pattern,
        exception_form=exception,
        patterns=patterns,
        exceptions=exceptions,
        weekdays=forms.weekday_names(),
    ), status


def _check_staff_and_counter(office, form) -> bool:
    """The chosen staff member and counter must belong to this office."""
    valid_staff = {m.id for m in office_staff(office)}
    valid_counters = {c.id for c in office_counters(office)}
    ok = True
    if form.staff_member_id.data not in valid_staff:
        form.staff_member_id.errors.append(_("Please choose a staff member of this office."))
        ok = False
    counter_id = form.counter_id.data
    if counter_id and counter_id not in valid_counters:
        form.counter_id.errors.append(_("Please choose a counter of this office."))
        ok = False
    return ok


def _pattern_values(form) -> dict:
    """The form's weekly shift with its staff member and counter as rows (named in the log)."""
    values = {name: getattr(form, name).data for name in PATTERN_FIELDS[2:]}
    values["staff_member"] = db.session.get(StaffMember, form.staff_member_id.data)
    values["counter"] = db.session.get(Counter, form.counter_id.data)
    return values


def _save_pattern(row: ShiftPattern | None, form, office, action: str):
    """The change of a weekly shift, or of a new one for None (made anew in each attempt: a
    trial run in a savepoint leaves its values on a new object)."""

    def change():
        values = _pattern_values(form)
        save_row(row or ShiftPattern(), values, current_staff(), action, office.id, now())

    return change


def _add_exception(form, office):
    def change():
        values = {name: getattr(form, name).data for name in EXCEPTION_FIELDS[1:]}
        values["note"] = values["note"] or ""
        values["staff_member"] = db.session.get(StaffMember, form.staff_member_id.data)
        counter = db.session.get(Counter, form.counter_id.data) if form.counter_id.data else None
        row = ShiftException(counter_id=counter.id if counter else None)
        facts = {"counter": [None, counter.name]} if counter else {}
        save_row(row, values, current_staff(), "exception_create", office.id, now(), **facts)

    return change


@bp.route("/<int:office_id>/shifts", methods=["GET", "POST"])
@manager_required
def shifts(office_id):
    office = get_office(office_id)
    pattern, exception = _shift_forms(office)
    which = request.form.get("form")
    if (
        which == "pattern"
        and pattern.validate_on_submit()
        and _check_staff_and_counter(office, pattern)
    ):
        change = _save_pattern(None, pattern, office, "shift_create")
        return save_safely(office, change, _("The shift was added."), "admin.shifts")
    if (
        which == "exception"
        and exception.validate_on_submit()
        and _check_staff_and_counter(office, exception)
    ):
        return save_safely(
            office,
            _add_exception(exception, office),
            _("The exception was added."),
            "admin.shifts",
            exception.note.data,
        )
    failed = bool(pattern.errors or exception.errors)
    return _shift_page(office, pattern, exception, 422 if failed else 200)


@bp.route("/<int:office_id>/shifts/<int:pattern_id>", methods=["GET", "POST"])
@manager_required
def shift(office_id, pattern_id):
    """Edit a weekly shift (e.g. end it earlier): safe, like every loss of capacity."""
    office = get_office(office_id)
    row = owned(ShiftPattern, pattern_id, office)
    form = forms.ShiftPatternForm(obj=row)
    form.staff_member_id.choices = forms.choices((m.id, m.name) for m in office_staff(office))
    form.counter_id.choices = forms.office_choices(
        ((c.id, c.name) for c in office_counters(office)), options=True
    )
    if form.validate_on_submit() and _check_staff_and_counter(office, form):
        change = _save_pattern(row, form, office, "shift_change")
        return save_safely(office, change, _("The shift was saved."), "admin.shifts")
    return edit_page(office, form, _("Weekly shift"), "admin.shifts")


@bp.route("/<int:office_id>/shifts/<int:pattern_id>/delete", methods=["POST"])
@manager_required
def delete_shift(office_id, pattern_id):
    message = _("The shift was removed.")
    row = (ShiftPattern, pattern_id, PATTERN_FIELDS)
    return delete_safely(office_id, row, message, "admin.shifts", "shift_delete")


@bp.route("/<int:office_id>/exceptions/<int:exception_id>/delete", methods=["POST"])
@manager_required
def delete_exception(office_id, exception_id):
    message = _("The exception was removed.")
    row = (ShiftException, exception_id, EXCEPTION_FIELDS)
    return delete_safely(office_id, row, message, "admin.shifts", "exception_delete")
