"""Services of an office: what it offers of the municipality's catalogue, with its own
duration, quantity, ticket prefix, whether citizens can book them online, and how the
appointment is held (in person, by phone, by video).

The catalogue texts (name, description, what to bring, fee) are the municipality's: an office
manager chooses what the office offers, its administrators describe it (views/catalogue.py)."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from markupsafe import escape

from terminvergabe.admin.forms import city as city_forms
from terminvergabe.admin.forms import office_choices
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    bp,
    catalogue,
    done,
    form_page,
    get_office,
    manager_required,
    office_offers,
)
from terminvergabe.auth.access import administers, current_staff
from terminvergabe.booking.models import Offer, Office
from terminvergabe.i18n import office_text
from terminvergabe.time import now

FIELDS = (
    "duration_minutes",
    "max_quantity",
    "ticket_prefix",
    "position",
    "public",
    "active",
    "modes",
    "video_url",
)


def _not_offered(office: Office):
    offered = {o.service_id for o in office_offers(office)}
    return [s for s in catalogue(office.municipality) if s.id not in offered]


def _add_form(office: Office):
    form = city_forms.OfferForm()
    form.service_id.choices = office_choices(
        ((s.id, s.name) for s in _not_offered(office)), options=True
    )
    return form


def _edit_form(offer: Offer):
    form = city_forms.OfferForm(obj=offer)
    del form.service_id
    if not form.is_submitted():
        form.modes.data = [m.value for m in offer.mode_list]
    return form


def _save(offer: Offer, form, office: Office, action: str) -> None:
    values = {name: form[name].data for name in FIELDS}
    values["modes"] = form.mode_value
    values["video_url"] = (values["video_url"] or "").strip()
    save_row(offer, values, current_staff(), action, office.id, now(), subject=offer.service.name)


def _may_edit_catalogue(office: Office) -> bool:
    return administers(current_staff(), office.municipality_id)


@bp.route("/<int:office_id>/services", methods=["GET", "POST"])
@manager_required
def services(office_id):
    office = get_office(office_id)
    form = _add_form(office)
    if form.validate_on_submit():
        service = next(s for s in _not_offered(office) if s.id == form.service_id.data)
        _save(Offer(office=office, service=service), form, office, "offer_create")
        return done(_("The office now offers this service."), "admin.services", office)
    return form_page(
        "admin/services.html",
        office,
        form,
        offers=office_offers(office),
        may_edit_catalogue=_may_edit_catalogue(office),
        mode_labels=city_forms.mode_labels(),
    )


@bp.route("/<int:office_id>/services/<int:service_id>", methods=["GET", "POST"])
@manager_required
def service(office_id, service_id):
    office = get_office(office_id)
    offer = office.offer_of(service_id) or abort(404)
    form = _edit_form(offer)
    if form.validate_on_submit():
        # Booked appointments keep their times; a new duration applies to new bookings.
        _save(offer, form, office, "offer_change")
        return done(_("The service was saved."), "admin.services", office)
    title = escape(_("Service %(name)s")) % {"name": office_text(offer.name)}
    return form_page(
        "admin/offer.html",
        office,
        form,
        title=title,
        offer=offer,
        may_edit_catalogue=_may_edit_catalogue(office),
        euros=city_forms.euros,
    )
