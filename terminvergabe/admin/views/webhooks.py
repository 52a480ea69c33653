"""Webhooks of a municipality (its administrators): register, change and deactivate
endpoints, see a new secret once, rotate it, look at recent deliveries and replay one; and
whether the offices' calendar feeds may show citizens' contact data.

A secret is shown only on the answer to the POST that made it, never in a flashed message
(which would keep it in the session cookie)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from terminvergabe.admin.views.common import bp
from terminvergabe.auth.access import administers, current_staff, role_required
from terminvergabe.booking.models import Municipality, Office, Role
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.integrations import operations
from terminvergabe.integrations.forms import EVENT_LABELS, EndpointForm
from terminvergabe.integrations.models import FeedPolicy, WebhookDelivery, WebhookEndpoint
from terminvergabe.time import now

RECENT = 50


def _municipality(municipality_id: int) -> Municipality:
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        abort(404)
    if not administers(current_staff(), municipality.id):
        abort(403)
    return municipality


def _endpoint(municipality: Municipality, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.municipality_id != municipality.id:
        abort(404)
    return endpoint


def _form(municipality: Municipality, endpoint: WebhookEndpoint | None = None) -> EndpointForm:
    form = EndpointForm(obj=None)
    form.set_offices(municipality.offices)
    if endpoint is not None and request.method == "GET":
        form.name.data = endpoint.name
        form.url.data = endpoint.url
        form.office.data = endpoint.office_id or 0
        form.events.data = sorted(endpoint.event_set)
        form.data_level.data = endpoint.data_level
        form.active.data = endpoint.active
    return form


def _office_id(municipality: Municipality, form: EndpointForm) -> int | None:
    chosen = form.office.data or None
    if chosen is not None and chosen not in {o.id for o in municipality.offices}:
        abort(404)
    return chosen


def _page(municipality, form, secret=None, secret_for=None, status=200):
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.municipality_id == municipality.id)
        .order_by(WebhookEndpoint.id)
    ).all()
    deliveries = db.session.scalars(
        sa.select(WebhookDelivery)
        .join(WebhookEndpoint)
        .where(WebhookEndpoint.municipality_id == municipality.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(RECENT)
    ).all()
    policies = {
        p.office_id: p.contact_data
        for p in db.session.scalars(
            sa.select(FeedPolicy).join(Office).where(Office.municipality_id == municipality.id)
        )
    }
    page = render_template(
        "admin/webhooks.html",
        municipality=municipality,
        endpoints=endpoints,
        deliveries=deliveries,
        form=form,
        secret=secret,
        secret_for=secret_for,
        event_labels=EVENT_LABELS,
        policies=policies,
    )
    return page, 422 if form.errors else status


@bp.route("/m/<int:municipality_id>/webhooks", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def webhooks(municipality_id: int):
    municipality = _municipality(municipality_id)
    form = _form(municipality)
    if request.method == "POST" and form.validate():
        try:
            endpoint, secret = operations.create_endpoint(
                municipality.id,
                form.url.data,
                form.events.data,
                form.data_level.data,
                current_staff(),
                now(),
                office_id=_office_id(municipality, form),
                name=form.name.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            form.url.errors = [error.message]
        else:
            db.session.commit()
            return _page(municipality, _form(municipality), secret, endpoint, 201)
    return _page(municipality, form)


@bp.route("/m/<int:municipality_id>/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def webhook_edit(municipality_id: int, endpoint_id: int):
    municipality = _municipality(municipality_id)
    endpoint = _endpoint(municipality, endpoint_id)
    form = _form(municipality, endpoint)
    if request.method == "POST" and form.validate():
        try:
            operations.update_endpoint(
                endpoint,
                form.url.data,
                form.events.data,
                form.data_level.data,
                form.active.data,
                current_staff(),
                now(),
                office_id=_office_id(municipality, form),
                name=form.name.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            form.url.errors = [error.message]
        else:
            db.session.commit()
            flash(_("The webhook was saved."))
            return redirect(url_for("admin.webhooks", municipality_id=municipality.id))
    page = render_template(
        "admin/webhook_edit.html", municipality=municipality, endpoint=endpoint, form=form
    )
    return page, 422 if form.errors else 200


@bp.route("/m/<int:municipality_id>/webhooks/<int:endpoint_id>/deactivate", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_deactivate(municipality_id: int, endpoint_id: int):
    municipality = _municipality(municipality_id)
    operations.deactivate_endpoint(_endpoint(municipality, endpoint_id), current_staff(), now())
    db.session.commit()
    flash(_("The webhook was deactivated. Nothing more is sent to it."))
    return redirect(url_for("admin.webhooks", municipality_id=municipality.id))


@bp.route("/m/<int:municipality_id>/webhooks/<int:endpoint_id>/rotate", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_rotate(municipality_id: int, endpoint_id: int):
    municipality = _municipality(municipality_id)
    endpoint = _endpoint(municipality, endpoint_id)
    secret = operations.rotate_secret(endpoint, current_staff(), now())
    db.session.commit()
    return _page(municipality, _form(municipality), secret, endpoint)


@bp.route("/m/<int:municipality_id>/webhooks/deliveries/<int:delivery_id>/replay", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_replay(municipality_id: int, delivery_id: int):
    municipality = _municipality(municipality_id)
    found = db.session.get(WebhookDelivery, delivery_id)
    if found is None or found.endpoint.municipality_id != municipality.id:
        abort(404)
    try:
        operations.replay(found, current_staff(), now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    else:
        db.session.commit()
        flash(_("The event is queued to be sent again."))
    return redirect(url_for("admin.webhooks", municipality_id=municipality.id))


@bp.route("/m/<int:municipality_id>/calendar-feeds", methods=["POST"])
@role_required(Role.ADMIN)
def feed_policy(municipality_id: int):
    municipality = _municipality(municipality_id)
    allowed = {int(v) for v in request.form.getlist("contact_data") if v.isdigit()}
    when = now()
    for office in municipality.offices:
        if operations.contact_data_allowed(office.id) != (office.id in allowed):
            operations.set_contact_data(
                office.id, office.id in allowed, current_staff(), when, municipality.id
            )
    db.session.commit()
    flash(_("The calendar feed settings were saved."))
    return redirect(url_for("admin.webhooks", municipality_id=municipality.id))
