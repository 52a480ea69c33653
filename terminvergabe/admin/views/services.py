"""Services of an office: what it offers of the municipality's catalogue, with its own
duration, quantity, ticket prefix and whether citizens can book them online. Adding a service
here adds it to the catalogue as well."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from markupsafe import escape

from terminvergabe import audit
from terminvergabe.admin import forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    bp,
    done,
    edit_page,
    form_page,
    get_office,
    manager_required,
    office_offers,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.booking.models import Offer, Service
from terminvergabe.i18n import office_text
from terminvergabe.time import now

# Long texts: the log says that they changed, not what they say.
TEXTS = ("description", "what_to_bring")


# What the catalogue says of a service; the other fields are the office's offer.
CATALOGUE = ("name", "description", "what_to_bring", "leika_id", "position")


class _Shown:
    """The offer and its catalogue service as one object, for the form."""

    def __init__(self, offer: Offer):
        for name in CATALOGUE:
            setattr(self, name, getattr(offer.service, name))
        for name in ("duration_minutes", "max_quantity", "ticket_prefix", "public", "active"):
            setattr(self, name, getattr(offer, name))
        self.position = offer.position


def _save_offer(offer: Offer, form, office, action: str) -> None:
    values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    values["name"] = values["name"].strip()
    values["leika_id"] = values["leika_id"] or None
    catalogue = {k: v for k, v in values.items() if k in CATALOGUE and k != "position"}
    own = {k: v for k, v in values.items() if k not in catalogue}
    actor, subject = current_staff(), values["name"]
    before = audit.snapshot(offer.service, catalogue)
    for name, value in catalogue.items():
        setattr(offer.service, name, value)
    texts = audit.changes(before, audit.snapshot(offer.service, catalogue), TEXTS)
    save_row(offer, own, actor, action, office.id, now(), hidden=TEXTS, subject=subject, **texts)


@bp.route("/<int:office_id>/services", methods=["GET", "POST"])
@manager_required
def services(office_id):
    office = get_office(office_id)
    form = forms.ServiceForm()
    if form.validate_on_submit():
        offer = Offer(office=office, service=Service(municipality=office.municipality))
        _save_offer(offer, form, office, "service_create")
        return done(_("The service was added."), "admin.services", office)
    return form_page("admin/services.html", office, form, offers=office_offers(office))


@bp.route("/<int:office_id>/services/<int:service_id>", methods=["GET", "POST"])
@manager_required
def service(office_id, service_id):
    office = get_office(office_id)
    offer = office.offer_of(service_id) or abort(404)
    form = forms.ServiceForm(obj=_Shown(offer))
    if form.validate_on_submit():
        # Existing appointments keep their times; a new duration applies to new bookings.
        _save_offer(offer, form, office, "service_change")
        return done(_("The service was saved."), "admin.services", office)
    title = escape(_("Service %(name)s")) % {"name": office_text(offer.name)}
    return edit_page(office, form, title, "admin.services")
