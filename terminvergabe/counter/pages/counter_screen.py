"""The counter screen: call next, recall, no-show, start, finish, park, transfer."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe.auth.access import (
    current_staff,
    role_required,
)
from terminvergabe.booking.models import Counter
from terminvergabe.counter import live, state, tickets, waiting
from terminvergabe.counter.models import Ticket
from terminvergabe.counter.pages.blueprint import (
    CLERK_ROLES,
    bp,
    counter_or_404,
    form_int,
    refused,
)
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import now


@bp.route("/counter/<int:counter_id>/")
@role_required(*CLERK_ROLES)
def counter_screen(counter_id: int):
    counter = counter_or_404(counter_id)
    return render_template("counter/counter.html", **state.counter_screen(counter, now()))


@bp.route("/counter/<int:counter_id>/state")
@role_required(*CLERK_ROLES)
def counter_state(counter_id: int):
    counter = counter_or_404(counter_id)
    return render_template("counter/_counter_live.html", **state.counter_screen(counter, now()))


@bp.route("/counter/<int:counter_id>/events")
@role_required(*CLERK_ROLES)
def counter_events(counter_id: int):
    counter = counter_or_404(counter_id)

    def snapshot(event_id):
        current = db.session.get(Counter, counter.id)
        html = render_template("counter/_counter_live.html", **state.counter_screen(current, now()))
        return {"html": {"counter-live": html}}

    return live.stream(counter.office_id, snapshot)


def _counter_action(counter_id: int, action):
    counter = counter_or_404(counter_id)
    back = url_for("counter.counter_screen", counter_id=counter.id)
    try:
        ticket = action(counter)
    except DomainError as error:
        return refused(error, back)
    db.session.commit()
    if ticket is not None:
        flash(
            _(
                "%(number)s: %(status)s",
                number=ticket.display_number,
                status=STATUS_NAMES().get(ticket.status, ticket.status),
            )
        )
    return redirect(back)


def STATUS_NAMES() -> dict:  # noqa: N802 - reads like a constant, translated per request
    return {
        "waiting": _("waiting"),
        "called": _("called"),
        "in_service": _("in service"),
        "parked": _("parked"),
        "done": _("done"),
        "no_show": _("did not appear"),
        "closed": _("closed at the end of the day"),
    }


def _current(counter: Counter) -> Ticket:
    ticket = waiting.active_ticket(counter)
    if ticket is None:
        raise DomainError("no_ticket", _("No citizen is called to this counter."), 409)
    return ticket


@bp.route("/counter/<int:counter_id>/call-next", methods=["POST"])
@role_required(*CLERK_ROLES)
def call_next(counter_id: int):
    return _counter_action(counter_id, lambda c: tickets.call_next(c, now(), current_staff()))


@bp.route("/counter/<int:counter_id>/recall", methods=["POST"])
@role_required(*CLERK_ROLES)
def recall(counter_id: int):
    return _counter_action(
        counter_id, lambda c: tickets.recall(_current(c), c, now(), current_staff())
    )


@bp.route("/counter/<int:counter_id>/no-show", methods=["POST"])
@role_required(*CLERK_ROLES)
def no_show(counter_id: int):
    return _counter_action(
        counter_id, lambda c: tickets.no_show(_current(c), c, now(), current_staff())
    )


@bp.route("/counter/<int:counter_id>/start", methods=["POST"])
@role_required(*CLERK_ROLES)
def start(counter_id: int):
    return _counter_action(
        counter_id, lambda c: tickets.start(_current(c), c, now(), current_staff())
    )


def _services_done() -> dict[int, int]:
    done = {}
    for key, value in request.form.items():
        if key.startswith("qty-"):
            try:
                service_id, quantity = int(key[4:]), int(value or 0)
            except ValueError as error:
                raise DomainError("quantity", _("Please enter whole numbers."), 422) from error
            if quantity > 0:
                done[service_id] = min(quantity, 20)
    return done


@bp.route("/counter/<int:counter_id>/finish", methods=["POST"])
@role_required(*CLERK_ROLES)
def finish(counter_id: int):
    return _counter_action(
        counter_id,
        lambda c: tickets.finish(_current(c), c, now(), _services_done(), current_staff()),
    )


@bp.route("/counter/<int:counter_id>/park", methods=["POST"])
@role_required(*CLERK_ROLES)
def park(counter_id: int):
    return _counter_action(
        counter_id, lambda c: tickets.park(_current(c), c, now(), current_staff())
    )


@bp.route("/counter/<int:counter_id>/transfer", methods=["POST"])
@role_required(*CLERK_ROLES)
def transfer(counter_id: int):
    return _counter_action(
        counter_id,
        lambda c: tickets.transfer(
            _current(c),
            c,
            now(),
            service_id=form_int("service"),
            target_counter_id=form_int("counter"),
            staff=current_staff(),
        ),
    )
