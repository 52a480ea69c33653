"""Counters of an office and the services each can do."""

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
    office_counters,
    office_offers,
    owned,
    save_safely,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.booking.models import Counter, Office
from terminvergabe.i18n import office_text
from terminvergabe.time import now


def _counter_form(office, counter=None):
    form = forms.CounterForm(obj=counter)
    form.skills.choices = forms.office_choices(
        (o.service_id, o.name) for o in office_offers(office)
    )
    if counter is not None and not form.is_submitted():
        form.skills.data = [s.id for s in counter.skills]
    return form


def _apply_counter(counter: Counter | None, form, office: Office, action: str):
    """The change of a counter, or of a new one for None."""

    def change():
        wanted = set(form.skills.data or [])
        values = {
            "name": form.name.data.strip(),
            "position": form.position.data,
            "active": form.active.data,
            "skills": [o.service for o in office_offers(office) if o.service_id in wanted],
        }
        row = counter or Counter(office=office)
        save_row(row, values, current_staff(), action, office.id, now(), subject=values["name"])

    return change


@bp.route("/<int:office_id>/counters", methods=["GET", "POST"])
@manager_required
def counters(office_id):
    office = get_office(office_id)
    form = _counter_form(office)
    if form.validate_on_submit():
        _apply_counter(None, form, office, "counter_create")()
        return done(_("The counter was added."), "admin.counters", office)
    return form_page("admin/counters.html", office, form, counters=office_counters(office))


@bp.route("/<int:office_id>/counters/<int:counter_id>", methods=["GET", "POST"])
@manager_required
def counter(office_id, counter_id):
    office = get_office(office_id)
    counter = owned(Counter, counter_id, office)
    form = _counter_form(office, counter)
    if form.validate_on_submit():
        return save_safely(
            office,
            _apply_counter(counter, form, office, "counter_change"),
            _("The counter was saved."),
            "admin.counters",
        )
    # the name as the office typed it, marked as German inside the translated title
    title = escape(_("Counter %(name)s")) % {"name": office_text(counter.name)}
    return edit_page(office, form, title, "admin.counters")
