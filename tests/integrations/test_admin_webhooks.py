"""The municipality administrator's webhook pages (admin/views/webhooks.py)."""

import pytest
import sqlalchemy as sa

from terminvergabe.auth import operations
from terminvergabe.booking.models import Role
from terminvergabe.db import db
from terminvergabe.integrations.models import WebhookDelivery, WebhookEndpoint
from tests.auth.staff import PASSWORD, forget_setup_entries, log_in
from tests.factories import create_office


@pytest.fixture
def admin(client, office):
    member = operations.create_staff(
        "admin", PASSWORD, "Admin", [Role.ADMIN], municipality=office.municipality
    )
    forget_setup_entries()
    db.session.commit()
    log_in(client, member)
    return member


def url(office, path=""):
    return f"/admin/m/{office.municipality_id}/webhooks{path}"


FORM = {
    "name": "Stadt-App",
    "url": "https://hooks.example.org/termine",
    "office": "0",
    "events": ["appointment.booked", "appointment.cancelled"],
    "data_level": "ids",
    "active": "y",
}


def test_register_shows_the_secret_once(client, admin, office):
    page = client.post(url(office), data=FORM)
    assert page.status_code == 201
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    assert endpoint.secret in page.text and endpoint.secret.startswith("whsec_")
    assert endpoint.event_set == {"appointment.booked", "appointment.cancelled"}
    again = client.get(url(office))
    assert endpoint.secret not in again.text
    assert "hooks.example.org" in again.text


def test_bad_url_and_no_events_are_refused_with_reasons(client, admin, office):
    page = client.post(url(office), data={**FORM, "url": "http://hooks.example.org/x"})
    assert page.status_code == 422
    assert "https://" in page.text
    page = client.post(url(office), data={**FORM, "events": []})
    assert page.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 0


def test_edit_rotate_deactivate_and_replay(client, admin, office):
    client.post(url(office), data=FORM)
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    old = endpoint.secret
    assert client.get(url(office, f"/{endpoint.id}")).status_code == 200
    saved = client.post(url(office, f"/{endpoint.id}"), data={**FORM, "data_level": "contact"})
    assert saved.status_code == 302
    rotated = client.post(url(office, f"/{endpoint.id}/rotate"))
    db.session.expire_all()
    assert endpoint.secret != old and endpoint.secret in rotated.text
    assert endpoint.data_level == "contact"
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id="msg_1",
        event_type="appointment.booked",
        payload={"id": "msg_1"},
        status="failed",
        attempts=3,
        created_at=endpoint.created_at,
        next_attempt_at=endpoint.created_at,
    )
    db.session.add(delivery)
    db.session.commit()
    page = client.get(url(office))
    assert "msg_1" in page.text
    assert client.post(url(office, f"/deliveries/{delivery.id}/replay")).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 2
    assert client.post(url(office, f"/{endpoint.id}/deactivate")).status_code == 302
    db.session.expire_all()
    assert not endpoint.active


def test_other_municipalities_and_managers_are_refused(client, admin, office):
    elsewhere = create_office(slug="anderswo")
    db.session.commit()
    assert client.get(f"/admin/m/{elsewhere.municipality_id}/webhooks").status_code == 403
    assert client.get("/admin/m/9999/webhooks").status_code == 404
    client.post(url(office), data=FORM)
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    other = f"/admin/m/{elsewhere.municipality_id}/webhooks/{endpoint.id}"
    assert client.get(other).status_code == 403
    manager = operations.create_staff("manager", PASSWORD, "Manager", [Role.OFFICE_MANAGER], office)
    db.session.commit()
    log_in(client, manager)
    assert client.get(url(office)).status_code == 403


def test_feed_policy_is_saved(client, admin, office):
    from terminvergabe.integrations.operations import contact_data_allowed

    page = client.post(
        f"/admin/m/{office.municipality_id}/calendar-feeds", data={"contact_data": [office.id]}
    )
    assert page.status_code == 302
    assert contact_data_allowed(office.id)
    client.post(f"/admin/m/{office.municipality_id}/calendar-feeds", data={})
    assert not contact_data_allowed(office.id)
