"""Data protection: a citizen's data exported or erased, on request, by email address."""

from __future__ import annotations

import json

from flask import Response, request
from flask_babel import ngettext

from terminvergabe import audit
from terminvergabe.admin import forms, privacy
from terminvergabe.admin.views.common import bp, done, form_page, get_office, manager_required
from terminvergabe.auth.access import current_staff, is_admin
from terminvergabe.db import db
from terminvergabe.time import now


@bp.route("/<int:office_id>/privacy", methods=["GET", "POST"])
@manager_required
def privacy_page(office_id):
    office = get_office(office_id)
    form = forms.CitizenForm()
    if form.validate_on_submit():
        scope = None if is_admin(current_staff()) else office.id
        if request.form.get("action") == "erase":
            count = privacy.erase(form.email.data, current_staff(), now(), scope)
            return done(
                ngettext(
                    "The personal data of %(count)d appointment was erased.",
                    "The personal data of %(count)d appointments were erased.",
                    count,
                    count=count,
                ),
                "admin.privacy_page",
                office,
            )
        data = privacy.export(form.email.data, scope)
        audit.record(current_staff(), "export", None, at=now(), office_id=office.id)
        db.session.commit()
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": 'attachment; filename="citizen-data.json"'},
        )
    return form_page(
        "admin/privacy.html",
        office,
        form,
        retention_days=privacy.retention_days(),
        entries=audit.entries(office.id, limit=100),
    )
