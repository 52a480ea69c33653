"""The unattended screens and the citizen's phone: the waiting-room display and the kiosk
(authorised by a device token), and a ticket's status page (by its secret token, no login)."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale

from terminvergabe.auth.access import (
    device_required,
)
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking.models import Office
from terminvergabe.counter import checkin, live, state, tickets
from terminvergabe.counter.models import Ticket
from terminvergabe.counter.pages.blueprint import (
    bp,
    form_int,
    qr_svg,
    refused,
    status_url,
)
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import now


def _device_office() -> Office:
    return g.device.office


@bp.route("/display/<token>")
@device_required(DeviceKind.DISPLAY)
def display(**_kwargs):
    office = _device_office()
    return render_template(
        "counter/display.html",
        events_url=url_for("counter.display_events", token=request.view_args["token"]),
        **state.display(office, now()),
    )


@bp.route("/display/<token>/events")
@device_required(DeviceKind.DISPLAY)
def display_events(**_kwargs):
    device_id, office_id = g.device.id, g.device.office_id

    def snapshot(event_id):
        data = state.display(db.session.get(Office, office_id), now())
        html = render_template("counter/_display_live.html", **data)
        return {"html": {"display-live": html}, "waiting": data["waiting"]}

    def check():
        device = db.session.get(Device, device_id)
        if device is None or device.is_revoked:
            raise live.Gone()

    return live.stream(
        office_id,
        snapshot,
        forward_calls=True,
        shared=("display", office_id, str(get_locale())),
        check=check,
        ends=lambda item: item["type"] == "device" and item.get("device_id") == device_id,
    )


def _kiosk_name() -> str:
    """Who acted, for the audit log: the kiosk device, not a staff member. Stored as plain text
    (not in the citizen's language): the log is read later, in the reader's language."""
    return f"Kiosk {g.device.name}"


@bp.route("/kiosk/<token>")
@device_required(DeviceKind.KIOSK)
def kiosk(**_kwargs):
    office = _device_office()
    return render_template(
        "counter/kiosk.html",
        office=office,
        token=request.view_args["token"],
        services=[o.service for o in office.public_offers],
    )


@bp.route("/kiosk/<token>/check-in", methods=["POST"])
@device_required(DeviceKind.KIOSK)
def kiosk_check_in(**_kwargs):
    office = _device_office()
    token = request.view_args["token"]
    try:
        appointment = checkin.find_appointment(office, request.form.get("code", ""))
        ticket = checkin.check_in(office, appointment, now(), actor_name=_kiosk_name())
    except DomainError as error:
        return refused(error, url_for("counter.kiosk", token=token))
    db.session.commit()
    return redirect(url_for("counter.kiosk_ticket", token=token, status=ticket.status_token))


@bp.route("/kiosk/<token>/walk-in", methods=["POST"])
@device_required(DeviceKind.KIOSK)
def kiosk_walk_in(**_kwargs):
    office = _device_office()
    token = request.view_args["token"]
    try:
        ticket = checkin.walk_in(
            office,
            form_int("service"),
            now(),
            public_only=True,
            locale=str(get_locale()),
            actor_name=_kiosk_name(),
        )
    except DomainError as error:
        return refused(error, url_for("counter.kiosk", token=token))
    db.session.commit()
    return redirect(url_for("counter.kiosk_ticket", token=token, status=ticket.status_token))


@bp.route("/kiosk/<token>/ticket/<status>")
@device_required(DeviceKind.KIOSK)
def kiosk_ticket(status: str, **_kwargs):
    ticket = tickets.find_ticket_by_status_token(status)
    if ticket is None or ticket.office_id != g.device.office_id:
        abort(404)
    url = status_url(ticket)
    return render_template(
        "counter/kiosk_ticket.html",
        ticket=ticket,
        office=ticket.office,
        token=request.view_args["token"],
        status_url=url,
        qr_svg=qr_svg(url),
    )


def _own_ticket(token: str) -> Ticket:
    ticket = tickets.find_ticket_by_status_token(token)
    if ticket is None:
        abort(404)
    return ticket


@bp.route("/t/<token>")
def ticket_status(token: str):
    ticket = _own_ticket(token)
    response = render_template(
        "counter/ticket_status.html",
        events_url=url_for("counter.ticket_events", token=token),
        **state.ticket(ticket, now()),
    )
    return response, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.route("/t/<token>/events")
def ticket_events(token: str):
    ticket = _own_ticket(token)
    ticket_id = ticket.id

    office_id = ticket.office_id

    def snapshot(event_id):
        current = db.session.get(Ticket, ticket_id)
        if current is None:
            raise live.Gone()
        moment = now()
        data = state.ticket(
            current,
            moment,
            shared=lambda: live.frames().get(
                ("queue", office_id, event_id), lambda: state.office_queue(current.office, moment)
            ),
        )
        html = render_template("counter/_ticket_live.html", **data)
        return {"html": {"ticket-live": html}, "status": current.status}

    return live.stream(ticket.office_id, snapshot)
