"""Services of an office: name, duration, quantity, whether citizens can book them online."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import escape

from terminvergabe.admin import forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    bp,
    done,
    edit_page,
    form_page,
    get_office,
    manager_required,
    office_services,
    owned,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.booking.models import Service
from terminvergabe.i18n import office_text
from terminvergabe.time import now

# Long texts: the log says that they changed, not what they say.
TEXTS = ("description", "what_to_bring")


def _save_service(service: Service, form, office, action: str) -> None:
    values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    values["name"] = values["name"].strip()
    values["leika_id"] = values["leika_id"] or None
    actor, subject = current_staff(), values["name"]
    save_row(service, values, actor, action, office.id, now(), hidden=TEXTS, subject=subject)


@bp.route("/<int:office_id>/services", methods=["GET", "POST"])
@manager_required
def services(office_id):
    office = get_office(office_id)
    form = forms.ServiceForm()
    if form.validate_on_submit():
        _save_service(Service(office=office), form, office, "service_create")
        return done(_("The service was added."), "admin.services", office)
    return form_page("admin/services.html", office, form, services=office_services(office))


@bp.route("/<int:office_id>/services/<int:service_id>", methods=["GET", "POST"])
@manager_required
def service(office_id, service_id):
    office = get_office(office_id)
    service = owned(Service, service_id, office)
    form = forms.ServiceForm(obj=service)
    if form.validate_on_submit():
        # Existing appointments keep their times; a new duration applies to new bookings.
        _save_service(service, form, office, "service_change")
        return done(_("The service was saved."), "admin.services", office)
    title = escape(_("Service %(name)s")) % {"name": office_text(service.name)}
    return edit_page(office, form, title, "admin.services")
