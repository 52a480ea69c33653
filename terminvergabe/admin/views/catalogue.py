"""The municipality's catalogue: each service described once (name, LeiKa/FIM key, texts, fee,
synonyms, translations) for every office that offers it. Only its administrators change it;
an office chooses what it offers on its services page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from markupsafe import escape

from terminvergabe.admin.forms import city as city_forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    admin_required,
    bp,
    catalogue,
    catalogue_service,
    done,
    get_municipality,
    municipality_offices,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.booking.models import Municipality, Service
from terminvergabe.db import db
from terminvergabe.i18n import office_text
from terminvergabe.time import now

FIELDS = (
    "name",
    "leika_id",
    "description",
    "what_to_bring",
    "fee_cents",
    "fee_note",
    "synonyms",
    "position",
    "active",
)
# Long texts: the log says that they changed, not what they say.
TEXTS = ("description", "what_to_bring", "synonyms", "translations")


def _leika_taken(form, municipality: Municipality, service: Service | None) -> bool:
    key = form.leika_id.data or None
    if key is None:
        return False
    other = db.session.scalar(
        sa.select(Service).where(
            Service.municipality_id == municipality.id, Service.leika_id == key
        )
    )
    if other is not None and other is not service:
        form.leika_id.errors.append(_("Another service of the catalogue has this key."))
        return True
    return False


def _submitted_and_valid(form, municipality: Municipality, service: Service | None) -> bool:
    """Every check runs, so that all errors are shown at once."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    return not _leika_taken(form, municipality, service) and valid


def _save(service: Service, form, municipality: Municipality, action: str) -> None:
    values = {name: form[name].data for name in FIELDS}
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    values["leika_id"] = values["leika_id"] or None
    values["synonyms"] = "\n".join(line.strip() for line in values["synonyms"].splitlines())
    values["synonyms"] = values["synonyms"].strip()
    values["translations"] = form.translations()
    save_row(
        service,
        values,
        current_staff(),
        action,
        None,
        now(),
        hidden=TEXTS,
        subject=values["name"],
        municipality_id=municipality.id,
    )


def _page(municipality: Municipality, form, title, service: Service | None):
    offers = sorted(service.offers, key=lambda o: o.office.name) if service else []
    offered = {o.office_id for o in offers}
    page = render_template(
        "admin/catalogue_edit.html",
        municipality=municipality,
        office=None,
        form=form,
        title=title,
        service=service,
        offers=offers,
        not_offered=[o for o in municipality_offices(municipality) if o.id not in offered],
        language_names=city_forms.language_names(),
    )
    return page, (422 if form.errors else 200)


@bp.route("/m/<int:municipality_id>/catalogue")
@admin_required
def catalogue_list(municipality_id):
    municipality = get_municipality(municipality_id)
    return render_template(
        "admin/catalogue.html",
        municipality=municipality,
        office=None,
        services=catalogue(municipality),
        euros=city_forms.euros,
    )


@bp.route("/m/<int:municipality_id>/catalogue/new", methods=["GET", "POST"])
@admin_required
def catalogue_new(municipality_id):
    municipality = get_municipality(municipality_id)
    form = city_forms.catalogue_form()
    if _submitted_and_valid(form, municipality, None):
        service = Service(municipality=municipality)
        _save(service, form, municipality, "catalogue_create")
        return done(
            _("The service was added to the catalogue."),
            "admin.catalogue_edit",
            municipality_id=municipality.id,
            service_id=service.id,
        )
    return _page(municipality, form, _("New service"), None)


@bp.route("/m/<int:municipality_id>/catalogue/<int:service_id>", methods=["GET", "POST"])
@admin_required
def catalogue_edit(municipality_id, service_id):
    municipality = get_municipality(municipality_id)
    service = catalogue_service(municipality, service_id)
    form = city_forms.catalogue_form(obj=service)
    if not form.is_submitted():
        form.show_translations(service.translations)
    if _submitted_and_valid(form, municipality, service):
        # Booked appointments keep their services; only the description changes.
        _save(service, form, municipality, "catalogue_change")
        return done(
            _("The service was saved."),
            "admin.catalogue_edit",
            municipality_id=municipality.id,
            service_id=service.id,
        )
    title = escape(_("Service %(name)s")) % {"name": office_text(service.name)}
    return _page(municipality, form, title, service)
