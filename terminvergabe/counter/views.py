"""The screens: front desk, counter, waiting-room display, kiosk, the citizen's phone status.

Views parse, call one operation, commit once and redirect (POST) or render (GET). Live updates
come from live.py (SSE); every page works without JavaScript through plain forms.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.access import (
    MANAGERS,
    current_staff,
    device_required,
    ensure_office,
    is_admin,
    role_required,
)
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking.models import Counter, Office, Role
from terminvergabe.counter import checkin, links, live, state, tickets, waiting
from terminvergabe.counter.models import Ticket
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.security import local_url
from terminvergabe.time import now

bp = Blueprint("counter", __name__)

DESK_ROLES = (Role.FRONT_DESK, *MANAGERS)
CLERK_ROLES = (Role.CLERK, *MANAGERS)
STAFF_ROLES = (Role.FRONT_DESK, Role.CLERK, *MANAGERS)


def _office(office_id: int) -> Office:
    office = db.session.get(Office, office_id) or abort(404)
    ensure_office(office.id)
    return office


def _counter(counter_id: int) -> Counter:
    counter = db.session.get(Counter, counter_id) or abort(404)
    ensure_office(counter.office_id)
    return counter


def _int(name: str) -> int | None:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


def _refused(error: DomainError, target: str):
    db.session.rollback()
    flash(error.message, "error")
    return redirect(target)


# -- staff start page ------------------------------------------------------------------------


@bp.route("/staff/")
@role_required(*STAFF_ROLES)
def staff_home():
    staff = current_staff()
    query = sa.select(Office).order_by(Office.name)
    if not is_admin(staff):
        query = query.where(Office.id == staff.office_id)
    offices = db.session.scalars(query).all()
    return render_template("counter/home.html", offices=offices, staff=staff, Role=Role)


# -- front desk ------------------------------------------------------------------------------


@bp.route("/desk/<int:office_id>/")
@role_required(*DESK_ROLES)
def desk(office_id: int):
    office = _office(office_id)
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
    office = _office(office_id)
    return render_template("counter/_desk_live.html", **state.desk(office, now()))


@bp.route("/desk/<int:office_id>/events")
@role_required(*DESK_ROLES)
def desk_events(office_id: int):
    office = _office(office_id)

    def snapshot(event_id):
        current = db.session.get(Office, office.id)
        html = render_template("counter/_desk_live.html", **state.desk(current, now()))
        return {"html": {"desk-live": html}}

    return live.stream(office.id, snapshot)


@bp.route("/desk/<int:office_id>/check-in", methods=["POST"])
@role_required(*DESK_ROLES)
def check_in(office_id: int):
    office = _office(office_id)
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
        return _refused(error, back)
    db.session.commit()
    flash(_("Checked in: ticket %(number)s.", number=ticket.display_number))
    return redirect(url_for("counter.desk", office_id=office.id, ticket=ticket.id))


@bp.route("/desk/<int:office_id>/walk-in", methods=["POST"])
@role_required(*DESK_ROLES)
def walk_in(office_id: int):
    office = _office(office_id)
    try:
        ticket = checkin.walk_in(
            office,
            _int("service"),
            now(),
            priority=bool(request.form.get("priority")),
            locale=str(get_locale()),
            staff=current_staff(),
        )
    except DomainError as error:
        return _refused(error, url_for("counter.desk", office_id=office.id))
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
    office = _office(office_id)
    ticket = _ticket_of(office, ticket_id)
    return render_template(
        "counter/ticket_print.html",
        ticket=ticket,
        office=office,
        status_url=_status_url(ticket),
        qr_svg=_qr_svg(_status_url(ticket)),
    )


@bp.route("/desk/<int:office_id>/tickets/<int:ticket_id>/requeue", methods=["POST"])
@role_required(*DESK_ROLES, Role.CLERK)
def requeue(office_id: int, ticket_id: int):
    office = _office(office_id)
    ticket = _ticket_of(office, ticket_id)
    try:
        tickets.requeue(ticket, now(), current_staff())
    except DomainError as error:
        back = local_url(request.referrer) or url_for("counter.desk", office_id=office.id)
        return _refused(error, back)
    db.session.commit()
    flash(_("Ticket %(number)s is back in the queue.", number=ticket.display_number))
    return redirect(_back_to_screen(office))


def _back_to_screen(office: Office) -> str:
    """The screen the form came from (its `back` field), on this site only."""
    return local_url(request.form.get("back")) or url_for("counter.desk", office_id=office.id)


def _status_url(ticket: Ticket) -> str:
    return links.public_url("counter.ticket_status", token=ticket.status_token)


def _qr_svg(data: str) -> str:
    from markupsafe import Markup

    from terminvergabe.notify import qr

    return Markup(qr.svg(data))  # noqa: S704 - generated by the qrcode library, no user input


# -- counter ---------------------------------------------------------------------------------


@bp.route("/counter/<int:counter_id>/")
@role_required(*CLERK_ROLES)
def counter_screen(counter_id: int):
    counter = _counter(counter_id)
    return render_template("counter/counter.html", **state.counter_screen(counter, now()))


@bp.route("/counter/<int:counter_id>/state")
@role_required(*CLERK_ROLES)
def counter_state(counter_id: int):
    counter = _counter(counter_id)
    return render_template("counter/_counter_live.html", **state.counter_screen(counter, now()))


@bp.route("/counter/<int:counter_id>/events")
@role_required(*CLERK_ROLES)
def counter_events(counter_id: int):
    counter = _counter(counter_id)

    def snapshot(event_id):
        current = db.session.get(Counter, counter.id)
        html = render_template("counter/_counter_live.html", **state.counter_screen(current, now()))
        return {"html": {"counter-live": html}}

    return live.stream(counter.office_id, snapshot)


def _counter_action(counter_id: int, action):
    counter = _counter(counter_id)
    back = url_for("counter.counter_screen", counter_id=counter.id)
    try:
        ticket = action(counter)
    except DomainError as error:
        return _refused(error, back)
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
            service_id=_int("service"),
            target_counter_id=_int("counter"),
            staff=current_staff(),
        ),
    )


# -- devices (managers) ----------------------------------------------------------------------


@bp.route("/desk/<int:office_id>/devices")
@role_required(*MANAGERS)
def devices(office_id: int):
    office = _office(office_id)
    items = db.session.scalars(
        sa.select(Device).where(Device.office_id == office.id).order_by(Device.id)
    ).all()
    return render_template(
        "counter/devices.html", office=office, devices=items, new_url=g.pop("new_device_url", None)
    )


@bp.route("/desk/<int:office_id>/devices", methods=["POST"])
@role_required(*MANAGERS)
def device_create(office_id: int):
    office = _office(office_id)
    kind = request.form.get("kind")
    name = (request.form.get("name") or "").strip()[:100]
    if kind not in (DeviceKind.DISPLAY, DeviceKind.KIOSK) or not name:
        flash(_("Please choose a kind and enter a name."), "error")
        return redirect(url_for("counter.devices", office_id=office.id))
    device, token = auth_ops.create_device(office, DeviceKind(kind), name, now(), current_staff())
    db.session.commit()
    endpoint = "counter.display" if kind == DeviceKind.DISPLAY else "counter.kiosk"
    # Shown once, on this response only; the database keeps just the token's digest.
    g.new_device_url = links.public_url(endpoint, token=token)
    return devices.__wrapped__(office.id)


@bp.route("/desk/<int:office_id>/devices/<int:device_id>/revoke", methods=["POST"])
@role_required(*MANAGERS)
def device_revoke(office_id: int, device_id: int):
    office = _office(office_id)
    device = db.session.get(Device, device_id)
    if device is None or device.office_id != office.id:
        abort(404)
    try:
        auth_ops.revoke_device(device, now(), current_staff())
    except DomainError as error:
        return _refused(error, url_for("counter.devices", office_id=office.id))
    db.session.commit()
    flash(_("Device %(name)s revoked.", name=device.name))
    return redirect(url_for("counter.devices", office_id=office.id))


# -- waiting-room display (device token) -----------------------------------------------------


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


# -- kiosk (device token) --------------------------------------------------------------------


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
        services=office.public_services,
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
        return _refused(error, url_for("counter.kiosk", token=token))
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
            _int("service"),
            now(),
            public_only=True,
            locale=str(get_locale()),
            actor_name=_kiosk_name(),
        )
    except DomainError as error:
        return _refused(error, url_for("counter.kiosk", token=token))
    db.session.commit()
    return redirect(url_for("counter.kiosk_ticket", token=token, status=ticket.status_token))


@bp.route("/kiosk/<token>/ticket/<status>")
@device_required(DeviceKind.KIOSK)
def kiosk_ticket(status: str, **_kwargs):
    ticket = tickets.find_ticket_by_status_token(status)
    if ticket is None or ticket.office_id != g.device.office_id:
        abort(404)
    url = _status_url(ticket)
    return render_template(
        "counter/kiosk_ticket.html",
        ticket=ticket,
        office=ticket.office,
        token=request.view_args["token"],
        status_url=url,
        qr_svg=_qr_svg(url),
    )


# -- the citizen's phone (secret ticket token, no login) --------------------------------------


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
