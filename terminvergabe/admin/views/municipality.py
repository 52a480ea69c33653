"""A municipality's settings (its administrators, and the installation's operator) and the
list of municipalities where the operator adds one with its first administrator."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from terminvergabe.admin import municipalities
from terminvergabe.admin.municipality_forms import MunicipalityForm, NewMunicipalityForm
from terminvergabe.admin.views.common import bp
from terminvergabe.auth.access import administers, current_staff, is_operator, role_required
from terminvergabe.booking.models import Municipality, Role
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import now

admin_required = role_required(Role.ADMIN)

# The domain refusals that belong beside a field of the form.
_FIELD_OF_ERROR = {"host_taken": "host", "slug_taken": "slug", "login_taken": "admin_login"}


def _municipality(municipality_id: int) -> Municipality:
    """The municipality, for its own administrators and the operator only (403 otherwise)."""
    if not administers(current_staff(), municipality_id):
        abort(403)
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        abort(404)
    return municipality


def _refused(form, error: DomainError) -> None:
    db.session.rollback()
    field = getattr(form, _FIELD_OF_ERROR.get(error.code, ""), None)
    if field is None:
        field = form.admin_password if hasattr(form, "admin_password") else form.name
    field.errors = [*field.errors, error.message]


@bp.route("/m/<int:municipality_id>/settings", methods=["GET", "POST"])
@admin_required
def municipality_settings(municipality_id):
    municipality = _municipality(municipality_id)
    form = MunicipalityForm(obj=municipality)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in municipalities.SETTINGS}
        try:
            municipalities.save_settings(
                municipality,
                values,
                current_staff(),
                now(),
                logo=form.uploaded_logo,
                remove_logo=form.remove_logo.data,
            )
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The settings of the municipality were saved."))
            return redirect(url_for("admin.municipality_settings", municipality_id=municipality.id))
    page = render_template("admin/municipality_settings.html", municipality=municipality, form=form)
    return page, (422 if form.errors else 200)


@bp.route("/municipalities", methods=["GET", "POST"])
@admin_required
def municipalities_page():
    if not is_operator(current_staff()):
        abort(403)
    form = NewMunicipalityForm()
    if form.validate_on_submit():
        try:
            created = municipalities.create_municipality(
                form.name.data,
                form.slug.data,
                form.host.data,
                (form.admin_name.data, form.admin_login.data, form.admin_password.data),
                current_staff(),
                now(),
            )
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The municipality %(name)s was created.", name=created.name))
            return redirect(url_for("admin.municipalities_page"))
    page = render_template(
        "admin/municipalities.html",
        municipalities=municipalities.all_municipalities(),
        office_counts=municipalities.office_counts(),
        form=form,
    )
    return page, (422 if form.errors else 200)
