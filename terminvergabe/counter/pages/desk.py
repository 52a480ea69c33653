"""The front desk: the staff start page, the desk screen, check-in, walk-ins, a ticket's
print-out and its return to the queue."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from terminvergabe.auth.access import (
    MANAGERS,
    current_staff,
    may_access_office,
    offices_of,
    role_required,
)
from terminvergabe.booking.models import Office, Role
from terminvergabe.counter import checkin, live, state, tickets
from terminvergabe.counter.models import Ticket
from terminvergabe.counter.pages.blueprint import (
    DESK_ROLES,
    STAFF_ROLES,
    bp,
    form_int,
    office_or_404,
    qr_svg,
    refused,
    status_url,
)
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.security import local_url
from terminvergabe.time import now


@bp.route("/staff/")
@role_required(*STAFF_ROLES)
def staff_home():
    staff = current_staff()

    def may(office: Office, *roles: Role) -> bool:
        return may_access_office(staff, office, frozenset(roles))

    return render_template(
        "counter/home.html", offices=offices_of(staff), staff=staff, Role=Role, may=may
    )


@bp.route("/desk/<int:office_id>/")
@role_required(*DESK_ROLES)
def desk(office_id: int):
    office = office_or_404(office_id)
    last = request.args.get("ticket", type=int)
    last_ticket = db.session.get(Ticket, last) if last else None
    if last_ticket is not None and last_ticket.office_id != office.id:
        last_ticket = None
    return render_template(
        "counter/desk.html",
        last_ticket=last_ticket,
        can_manage_devices=current_staff().has_role(*MANAGERS),
        **state.desk(office, now()),
    )


@bp.route("/desk/<int:office_id>/state")
@role_required(*DESK_ROLES)
def desk_state(office_id: int):
    office = office_or_404(office_id)
    return render_template("counter/_desk_live.html", **state.desk(office, now()))


@bp.route("/desk/<int:office_id>/events")
@role_required(*DESK_ROLES)
def desk_events(office_id: int):
    office = office_or_404(office_id)

    def snapshot(event_id):
        current = db.session.get(Office, office.id)
        html = render_template("counter/_desk_live.html", **state.desk(current, now()))
        return {"html": {"desk-live": html}}

    return live.stream(office.id, snapshot)


@bp.route("/desk/<int:office_id>/check-in", methods=["POST"])
@role_required(*DESK_ROLES)
def check_in(office_id: int):
    office = office_or_404(office_id)
    back = url_for("counter.desk", office_id=office.id)
    try:
        appointment = checkin.find_appointment(office, request.form.get("code", ""))
        ticket = checkin.check_in(
            office,
            appointment,
            now(),
            priority=bool(request.form.get("priority")),
            staff=current_staff(),
        )
    except DomainError as error:
        return refused(error, back)
    db.session.commit()
    flash(_("Checked in: ticket %(number)s.", number=ticket.display_number))
    return redirect(url_for("counter.desk", office_id=office.id, ticket=ticket.id))


@bp.route("/desk/<int:office_id>/walk-in", methods=["POST"])
@role_required(*DESK_ROLES)
def walk_in(office_id: int):
    office = office_or_404(office_id)
    try:
        ticket = checkin.walk_in(
            office,
            form_int("service"),
            now(),
            priority=bool(request.form.get("priority")),
            locale=str(get_locale()),
            staff=current_staff(),
        )
    except DomainError as error:
        return refused(error, url_for("counter.desk", office_id=office.id))
    db.session.commit()
    flash(_("Walk-in ticket %(number)s issued.", number=ticket.display_number))
    return redirect(url_for("counter.desk", office_id=office.id, ticket=ticket.id))


def _ticket_of(office: Office, ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.office_id != office.id:
        abort(404)
    return ticket


@bp.route("/desk/<int:office_id>/tickets/<int:ticket_id>/print")
@role_required(*DESK_ROLES)
def ticket_print(office_id: int, ticket_id: int):
    office = office_or_404(office_id)
    ticket = _ticket_of(office, ticket_id)
    return render_template(
        "counter/ticket_print.html",
        ticket=ticket,
        office=office,
        status_url=status_url(ticket),
        qr_svg=qr_svg(status_url(ticket)),
    )


@bp.route("/desk/<int:office_id>/tickets/<int:ticket_id>/requeue", methods=["POST"])
@role_required(*DESK_ROLES, Role.CLERK)
def requeue(office_id: int, ticket_id: int):
    office = office_or_404(office_id)
    ticket = _ticket_of(office, ticket_id)
    try:
        tickets.requeue(ticket, now(), current_staff())
    except DomainError as error:
        back = local_url(request.referrer) or url_for("counter.desk", office_id=office.id)
        return refused(error, back)
    db.session.commit()
    flash(_("Ticket %(number)s is back in the queue.", number=ticket.display_number))
    return redirect(_back_to_screen(office))


def _back_to_screen(office: Office) -> str:
    """The screen the form came from (its `back` field), on this site only."""
    return local_url(request.form.get("back")) or url_for("counter.desk", office_id=office.id)
