"""The queue rules of an office: check-in tolerance, late policy, calls, walk-in fairness."""

from __future__ import annotations

from flask_babel import gettext as _

from terminvergabe.admin import forms
from terminvergabe.admin.operations import save_row
from terminvergabe.admin.views.common import (
    bp,
    done,
    form_page,
    get_office,
    manager_required,
    office_offers,
)
from terminvergabe.auth.access import current_staff
from terminvergabe.counter.models import QueueSettings
from terminvergabe.time import now

QUEUE_FIELDS = (
    "early_minutes",
    "late_minutes",
    "late_policy",
    "max_calls",
    "walk_in_every",
    "walk_in_max_wait_minutes",
)


@bp.route("/<int:office_id>/queue", methods=["GET", "POST"])
@manager_required
def queue_settings(office_id):
    office = get_office(office_id)
    settings = QueueSettings.for_office(office.id)
    form = forms.QueueSettingsForm(obj=settings)
    if form.validate_on_submit():
        # Rules apply from the next check-in or call; tickets in the queue keep their place.
        values = {name: getattr(form, name).data for name in QUEUE_FIELDS}
        save_row(settings, values, current_staff(), "queue_settings", office.id, now())
        return done(_("The queue rules were saved."), "admin.queue_settings", office)
    return form_page("admin/queue.html", office, form, services=office_offers(office))
