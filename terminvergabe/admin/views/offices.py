"""The offices of a municipality, created and described by its administrators: name, web
address, contact, time zone, Bundesland, how to get there and step-free access.

A new office starts with the default booking rules and no opening hours, counters or offers:
it takes no booking until its administrators have set them up on the office's pages. A change
of time zone or Bundesland moves opening hours or adds holidays, so it is saved like any other
loss of capacity (`save_safely`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _
from markupsafe import escape

from terminvergabe import audit
from terminvergabe.admin.forms import city as city_forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    admin_required,
    bp,
    done,
    get_municipality,
    municipality_office,
    municipality_offices,
    save_safely,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.booking.models import Municipality, Office
from terminvergabe.db import db
from terminvergabe.i18n import office_text
from terminvergabe.time import now

FIELDS = (
    "name",
    "slug",
    "street",
    "postcode",
    "city",
    "district",
    "email",
    "phone",
    "time_zone",
    "bundesland",
    "directions",
    "step_free",
    "accessibility_note",
    "public",
)
# Long texts: the log says that they changed, not what they say.
TEXTS = ("directions", "accessibility_note")


def _defaults(municipality: Municipality) -> dict:
    """A new office lies where the municipality's other offices lie."""
    first = next(iter(municipality_offices(municipality)), None)
    if first is None:
        return {"time_zone": "Europe/Berlin", "bundesland": "NW", "public": True}
    return {
        "city": first.city,
        "time_zone": first.time_zone,
        "bundesland": first.bundesland,
        "public": True,
    }


def _slug_taken(form, office: Office | None) -> bool:
    """Office slugs are unique on the whole installation (they are the office's web address)."""
    other = db.session.scalar(sa.select(Office).where(Office.slug == form.slug.data))
    if other is not None and other is not office:
        form.slug.errors.append(_("Another office already uses this short name."))
        return True
    return False


def _submitted_and_valid(form, office: Office | None) -> bool:
    """Every check runs, so that all errors are shown at once."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    return not _slug_taken(form, office) and valid


def _values(form) -> dict:
    values = {name: form[name].data for name in FIELDS}
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


def _change(office: Office, form, municipality: Municipality, action: str):
    def change():
        values = _values(form)
        save_row(
            office,
            values,
            current_staff(),
            action,
            office.id,
            now(),
            hidden=TEXTS,
            subject=values["name"],
            municipality_id=municipality.id,
        )

    return change


def _create(municipality: Municipality, form) -> Office:
    """The new office, and the whole of it as the first entry of its log."""
    office = Office(municipality=municipality, **_values(form))
    db.session.add(office)
    db.session.flush()
    audit.record(
        current_staff(),
        "office_create",
        at=now(),
        office_id=office.id,
        municipality_id=municipality.id,
        subject=office.name,
        **audit.changes({}, audit.snapshot(office, FIELDS), TEXTS),
    )
    return office


def _page(template: str, municipality: Municipality, form, **context):
    page = render_template(template, municipality=municipality, office=None, form=form, **context)
    return page, (422 if form.errors else 200)


@bp.route("/m/<int:municipality_id>/offices")
@admin_required
def offices(municipality_id):
    municipality = get_municipality(municipality_id)
    return render_template(
        "admin/offices.html",
        municipality=municipality,
        office=None,
        offices=municipality_offices(municipality),
    )


@bp.route("/m/<int:municipality_id>/offices/new", methods=["GET", "POST"])
@admin_required
def office_new(municipality_id):
    municipality = get_municipality(municipality_id)
    form = city_forms.OfficeForm(data=None if request.method == "POST" else _defaults(municipality))
    if _submitted_and_valid(form, None):
        office = _create(municipality, form)
        return done(_("The office was created."), "admin.office", office)
    return _page("admin/office_edit.html", municipality, form, title=_("New office"), edited=None)


@bp.route("/m/<int:municipality_id>/offices/<int:office_id>", methods=["GET", "POST"])
@admin_required
def office_edit(municipality_id, office_id):
    municipality = get_municipality(municipality_id)
    office = municipality_office(municipality, office_id)
    form = city_forms.OfficeForm(obj=office)
    if _submitted_and_valid(form, office):
        return save_safely(
            office,
            _change(office, form, municipality, "office_change"),
            _("The office was saved."),
            "admin.office_edit",
            municipality_id=municipality.id,
        )
    title = escape(_("Office %(name)s")) % {"name": office_text(office.name)}
    return _page("admin/office_edit.html", municipality, form, title=title, edited=office)


@bp.route("/m/<int:municipality_id>/audit")
@admin_required
def municipality_audit(municipality_id):
    """What was changed of the municipality as a whole: its offices, catalogue and staff roles
    (the changes inside an office are in that office's log too)."""
    municipality = get_municipality(municipality_id)
    entries = db.session.scalars(
        sa.select(audit.AuditEntry)
        .where(audit.AuditEntry.municipality_id == municipality.id)
        .order_by(audit.AuditEntry.at.desc(), audit.AuditEntry.id.desc())
        .limit(500)
    ).all()
    return render_template(
        "admin/city_audit.html", municipality=municipality, office=None, entries=entries
    )
