"""The office calendar: a day or a week of appointments, holds and free time per counter."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request

from terminvergabe.admin.calendar import day_grid
from terminvergabe.admin.views.common import bp, get_office, manager_required
from terminvergabe.params import parse_date
from terminvergabe.time import local_date, now


@bp.route("/<int:office_id>/calendar")
@manager_required
def office_calendar(office_id):
    office = get_office(office_id)
    when = now()
    day = parse_date(request.args["date"]) if request.args.get("date") else None
    day = day or local_date(when, office.zone)
    view = "week" if request.args.get("view") == "week" else "day"
    if view == "week":
        monday = day - dt.timedelta(days=day.weekday())
        days = [day_grid(office, monday + dt.timedelta(days=n), when) for n in range(7)]
    else:
        days = [day_grid(office, day, when)]
    step = dt.timedelta(days=7 if view == "week" else 1)
    return render_template(
        "admin/calendar.html",
        office=office,
        days=days,
        view=view,
        day=day,
        previous=day - step,
        following=day + step,
    )
