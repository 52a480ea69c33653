"""The citizen's calendar file and check-in QR code, behind the manage token."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from terminvergabe import time
from terminvergabe.booking import codes, municipalities
from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.notify import ical, qr
from terminvergabe.notify.payload import snapshot

bp = Blueprint("notify", __name__)

# Statuses in which the citizen still has a visit ahead (or in progress) to check in for.
VISIT_STATUSES = (
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.CALLED,
    AppointmentStatus.IN_SERVICE,
)


def _appointment(token: str) -> Appointment:
    appointment = codes.find_by_manage_token(token)
    if appointment is None or not municipalities.shown_here(appointment.office.municipality_id):
        abort(404)
    return appointment


def _private(response: Response) -> Response:
    """The URL carries a secret: keep it out of caches, referrers and search engines."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/a/<token>/calendar.ics")
def appointment_ics(token: str):
    appointment = _appointment(token)
    payload = snapshot(appointment, time.now())
    if appointment.status == AppointmentStatus.CANCELLED and appointment.confirmed_at:
        data = ical.cancel(payload)
    elif appointment.status in VISIT_STATUSES:
        data = ical.publish(payload)
    else:
        abort(404)
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Disposition"] = "attachment; filename=appointment.ics"
    return _private(response)


@bp.get("/a/<token>/qr.svg", defaults={"fmt": "svg"})
@bp.get("/a/<token>/qr.png", defaults={"fmt": "png"})
def appointment_qr(token: str, fmt: str):
    appointment = _appointment(token)
    if appointment.status not in VISIT_STATUSES:
        abort(404)
    credential = qr.checkin_credential(appointment.checkin_token)
    if fmt == "png":
        return _private(Response(qr.png(credential), mimetype="image/png"))
    return _private(Response(qr.svg(credential), mimetype="image/svg+xml"))
