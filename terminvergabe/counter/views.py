"""Staff screens: the front desk and the counters."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from terminvergabe.auth.access import (
    MANAGERS,
    current_staff,
    ensure_office,
    is_admin,
    role_required,
)
from terminvergabe.booking.models import Counter, Office, Role
from terminvergabe.db import db

bp = Blueprint("counter", __name__)

DESK_ROLES = (Role.FRONT_DESK, *MANAGERS)
CLERK_ROLES = (Role.CLERK, *MANAGERS)
STAFF_ROLES = (Role.FRONT_DESK, Role.CLERK, *MANAGERS)


def _office(office_id: int) -> Office:
    office = db.session.get(Office, office_id) or abort(404)
    ensure_office(office.id)
    return office


@bp.route("/staff/")
@role_required(*STAFF_ROLES)
def staff_home():
    staff = current_staff()
    query = sa.select(Office).order_by(Office.name)
    if not is_admin(staff):
        query = query.where(Office.id == staff.office_id)
    offices = db.session.scalars(query).all()
    return render_template("counter/home.html", offices=offices, staff=staff, Role=Role)


@bp.route("/desk/<int:office_id>/")
@role_required(*DESK_ROLES)
def desk(office_id: int):
    office = _office(office_id)
    return render_template("counter/desk.html", office=office)


@bp.route("/counter/<int:counter_id>/")
@role_required(*CLERK_ROLES)
def counter_screen(counter_id: int):
    counter = db.session.get(Counter, counter_id) or abort(404)
    ensure_office(counter.office_id)
    return render_template("counter/counter.html", counter=counter)
