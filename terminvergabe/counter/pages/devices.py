"""Devices of an office (managers): the waiting-room displays and kiosks, created with a
secret link shown once, and revoked."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.access import (
    MANAGERS,
    current_staff,
    role_required,
)
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.counter import links
from terminvergabe.counter.pages.blueprint import (
    bp,
    office_or_404,
    refused,
)
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.time import now


@bp.route("/desk/<int:office_id>/devices")
@role_required(*MANAGERS)
def devices(office_id: int):
    office = office_or_404(office_id)
    items = db.session.scalars(
        sa.select(Device).where(Device.office_id == office.id).order_by(Device.id)
    ).all()
    return render_template(
        "counter/devices.html", office=office, devices=items, new_url=g.pop("new_device_url", None)
    )


@bp.route("/desk/<int:office_id>/devices", methods=["POST"])
@role_required(*MANAGERS)
def device_create(office_id: int):
    office = office_or_404(office_id)
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
    office = office_or_404(office_id)
    device = db.session.get(Device, device_id)
    if device is None or device.office_id != office.id:
        abort(404)
    try:
        auth_ops.revoke_device(device, now(), current_staff())
    except DomainError as error:
        return refused(error, url_for("counter.devices", office_id=office.id))
    db.session.commit()
    flash(_("Device %(name)s revoked.", name=device.name))
    return redirect(url_for("counter.devices", office_id=office.id))
