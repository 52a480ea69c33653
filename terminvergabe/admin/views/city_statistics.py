"""A municipality's offices side by side: appointments, walk-ins and waiting times of a period,
each office linking to its own statistics."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, render_template

from terminvergabe.admin import stats
from terminvergabe.admin.views.common import (
    admin_required,
    bp,
    get_municipality,
    municipality_offices,
)
from terminvergabe.admin.views.statistics import period_form


@bp.route("/m/<int:municipality_id>/statistics")
@admin_required
def municipality_statistics(municipality_id):
    municipality = get_municipality(municipality_id)
    offices = municipality_offices(municipality)
    zone = offices[0].zone if offices else ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    form, valid = period_form(zone)
    first, last = form.first.data, form.last.data
    rows = [stats.office_summary(o, first, last) for o in offices] if valid else []
    counts, waiting = stats.OfficeSummary.total(rows)
    return render_template(
        "admin/city_statistics.html",
        municipality=municipality,
        office=None,
        form=form,
        rows=rows,
        total_counts=counts,
        total_waiting=waiting,
        valid=valid,
    ), (200 if valid else 422)
