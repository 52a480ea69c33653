"""The audit log of an office, filtered by day range and action."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_babel import gettext as _

from terminvergabe import audit
from terminvergabe.admin import audit_log, forms
from terminvergabe.admin.views.common import bp, get_office, manager_required
from terminvergabe.time import local_midnight


@bp.route("/<int:office_id>/audit", endpoint="audit_log")
@manager_required
def audit_log_page(office_id):
    office = get_office(office_id)
    form = forms.AuditFilterForm(request.args)
    labels = audit_log.action_labels().items()
    form.action.choices = forms.choices([("", _("All actions")), *labels])
    valid = not request.args or form.validate()
    entries = []
    if valid:
        first, last = form.first.data, form.last.data
        entries = audit.entries(
            office.id,
            limit=500,
            actions=[form.action.data] if form.action.data else None,
            start_at=local_midnight(first, office.zone) if first else None,
            end_at=local_midnight(last + dt.timedelta(days=1), office.zone) if last else None,
        )
    return render_template("admin/audit.html", office=office, form=form, entries=entries), (
        200 if valid else 422
    )
