"""Webhooks end to end against a real HTTP receiver: every event once, in order per
appointment, signed (checked from the specification, not with the app's signing code),
retried through an outage, and no more personal data than the endpoint may have."""

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.counter import checkin, tickets
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.integrations import delivery, tasks
from terminvergabe.integrations import operations as hooks
from terminvergabe.integrations.models import DeliveryStatus, Event, WebhookDelivery
from tests.factories import create_office

from .conftest import register, verify

MONDAY_9 = dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC)
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # local 10:00
TUESDAY_1030 = TUESDAY_10 + dt.timedelta(minutes=30)


def at(app, moment):
    app.config["FROZEN_NOW"] = moment
    return moment


def book(office, start_at, now, name="Erika Mustermann", email="erika@example.org"):
    chosen = {office.services[0].id: 1}
    appointment = operations.hold(office, chosen, start_at, now)
    operations.confirm(appointment, name, email, "0221 555", now)
    db.session.commit()
    return appointment


def visit(app, office, appointment):
    """Check in, call, start and finish at the counter, each committed."""
    now = at(app, TUESDAY_1030 - dt.timedelta(minutes=5))
    checkin.check_in(office, appointment, now)
    db.session.commit()
    ticket = tickets.call_next(appointment.counter, at(app, now + dt.timedelta(minutes=5)))
    db.session.commit()
    tickets.start(ticket, appointment.counter, at(app, now + dt.timedelta(minutes=6)))
    db.session.commit()
    tickets.finish(ticket, appointment.counter, at(app, now + dt.timedelta(minutes=20)))
    db.session.commit()


def deliver(app):
    return tasks.deliver_webhooks(app.config["FROZEN_NOW"])


@pytest.fixture
def office(app_ctx):
    office = create_office()
    db.session.commit()
    return office


def test_every_event_once_in_order_with_valid_signatures(app_ctx, office, receiver):
    _, secret = register(office, receiver.url)
    now = at(app_ctx, MONDAY_9)
    first = book(office, TUESDAY_10, now)
    other = book(office, TUESDAY_10 + dt.timedelta(hours=1), now, "Max Muster", "max@example.org")
    operations.rebook(first, TUESDAY_1030, now)
    db.session.commit()
    operations.cancel(other, now)
    db.session.commit()
    visit(app_ctx, office, first)
    assert deliver(app_ctx) == {"delivered": 7, "queued": 0, "failed": 0}

    got = receiver.accepted()
    assert all(verify(secret, r["headers"], r["body"]) for r in got)
    ids = [r["headers"]["webhook-id"] for r in got]
    assert len(ids) == len(set(ids)) == 7
    by_appointment = {}
    for r in got:
        assert r["json"]["id"] == r["headers"]["webhook-id"]
        appointment_id = r["json"]["data"]["appointment"]["id"]
        by_appointment.setdefault(appointment_id, []).append(r["json"])
    assert [e["type"] for e in by_appointment[first.id]] == [
        Event.BOOKED,
        Event.REBOOKED,
        Event.CHECKED_IN,
        Event.CALLED,
        Event.FINISHED,
    ]
    assert [e["data"]["sequence"] for e in by_appointment[first.id]] == [1, 2, 3, 4, 5]
    assert [e["type"] for e in by_appointment[other.id]] == [Event.BOOKED, Event.CANCELLED]
    rebooked = by_appointment[first.id][1]["data"]
    assert rebooked["appointment"]["start_at"] == "2026-01-13T09:30:00Z"
    assert rebooked["appointment"]["previous_start_at"] == "2026-01-13T09:00:00Z"
    assert rebooked["office"]["slug"] == office.slug
    booked = by_appointment[first.id][0]["data"]["appointment"]
    assert booked["citizen"]["email"] == "erika@example.org"
    assert booked["services"] == [{"id": office.services[0].id, "quantity": 1}]
    # Nothing is sent twice: a second run finds nothing due.
    assert deliver(app_ctx) == {"delivered": 0, "queued": 0, "failed": 0}
    assert len(receiver.requests) == 7


def test_a_wrong_secret_or_a_changed_body_fails_verification(app_ctx, office, receiver):
    _, secret = register(office, receiver.url)
    book(office, TUESDAY_10, at(app_ctx, MONDAY_9))
    deliver(app_ctx)
    (got,) = receiver.accepted()
    assert verify(secret, got["headers"], got["body"])
    other_endpoint_secret = hooks.signing.new_secret()
    assert not verify(other_endpoint_secret, got["headers"], got["body"])
    assert not verify(secret, got["headers"], got["body"].replace(b"Erika", b"Erica"))
    later = {
        **got["headers"],
        "webhook-timestamp": str(int(got["headers"]["webhook-timestamp"]) + 1),
    }
    assert not verify(secret, later, got["body"])


def test_an_outage_is_retried_and_delivered_in_order(app_ctx, office, receiver):
    app_ctx.config.update(WEBHOOK_RETRY_BASE_SECONDS=30)
    _, secret = register(office, receiver.url)
    now = at(app_ctx, MONDAY_9)
    receiver.status = 500
    appointment = book(office, TUESDAY_10, now)
    operations.rebook(appointment, TUESDAY_1030, now)
    db.session.commit()
    # The first event fails; the second is not sent before it.
    assert deliver(app_ctx) == {"delivered": 0, "queued": 1, "failed": 0}
    assert len(receiver.requests) == 1
    receiver.stop()  # connection refused now
    now = at(app_ctx, now + dt.timedelta(minutes=1))
    assert deliver(app_ctx) == {"delivered": 0, "queued": 1, "failed": 0}
    row = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
    assert row.attempts == 2
    assert row.last_status_code is None and "Connection" in row.last_error
    # Backoff: not tried again before its time.
    assert row.next_attempt_at >= now + dt.timedelta(seconds=60)
    assert deliver(app_ctx) == {"delivered": 0, "queued": 0, "failed": 0}
    receiver.status = 200
    receiver.start()
    at(app_ctx, now + dt.timedelta(minutes=5))
    assert deliver(app_ctx) == {"delivered": 2, "queued": 0, "failed": 0}
    got = receiver.accepted()
    assert [r["json"]["type"] for r in got] == [Event.BOOKED, Event.REBOOKED]
    assert all(verify(secret, r["headers"], r["body"]) for r in got)
    # The retried event kept its id: a receiver can tell a repeat.
    first_try = {k.lower(): v for k, v in receiver.requests[0]["headers"].items()}
    assert got[0]["headers"]["webhook-id"] == first_try["webhook-id"]


def test_given_up_after_the_last_attempt_then_the_next_goes(app_ctx, office, receiver):
    app_ctx.config.update(WEBHOOK_MAX_ATTEMPTS=2, WEBHOOK_RETRY_BASE_SECONDS=1)
    register(office, receiver.url)
    now = at(app_ctx, MONDAY_9)
    receiver.status = 503
    appointment = book(office, TUESDAY_10, now)
    try:
        deliver(app_ctx)
        at(app_ctx, now + dt.timedelta(minutes=1))
        receiver.status = 200
        operations.cancel(appointment, now + dt.timedelta(minutes=1))
        db.session.commit()
        receiver.status = 503
        assert deliver(app_ctx)["failed"] == 1
    finally:
        app_ctx.config.update(WEBHOOK_MAX_ATTEMPTS=12, WEBHOOK_RETRY_BASE_SECONDS=30)
    statuses = db.session.scalars(
        sa.select(WebhookDelivery.status).order_by(WebhookDelivery.id)
    ).all()
    assert statuses[0] == DeliveryStatus.FAILED


def test_ids_level_carries_no_personal_data(app_ctx, office, receiver):
    register(office, receiver.url, level="ids")
    book(office, TUESDAY_10, at(app_ctx, MONDAY_9))
    deliver(app_ctx)
    (got,) = receiver.accepted()
    text = got["body"].decode()
    for personal in ("Erika", "Mustermann", "erika@example.org", "0221 555", "citizen"):
        assert personal not in text
    assert "booking_code" not in got["json"]["data"]["appointment"]
    stored = db.session.scalar(sa.select(WebhookDelivery))
    assert "Erika" not in json.dumps(stored.payload)


def test_endpoints_get_only_their_events_and_offices(app_ctx, office, receiver):
    register(office, receiver.url, events=[Event.CANCELLED])
    elsewhere = create_office(slug="anderswo")
    db.session.commit()
    register(elsewhere, receiver.url.replace("/hook", "/other"))
    book(office, TUESDAY_10, at(app_ctx, MONDAY_9))
    assert deliver(app_ctx)["delivered"] == 0
    assert receiver.requests == []


def test_a_change_rolled_back_leaves_no_delivery(app_ctx, office, receiver):
    register(office, receiver.url)
    now = at(app_ctx, MONDAY_9)
    appointment = operations.hold(office, {office.services[0].id: 1}, TUESDAY_10, now)
    operations.confirm(appointment, "Erika", "erika@example.org", "", now)
    assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 1
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 0


def test_replay_sends_the_same_event_again(app_ctx, office, receiver):
    _, secret = register(office, receiver.url)
    book(office, TUESDAY_10, at(app_ctx, MONDAY_9))
    deliver(app_ctx)
    sent = db.session.scalar(sa.select(WebhookDelivery))
    hooks.replay(sent, None, MONDAY_9)
    db.session.commit()
    deliver(app_ctx)
    first, again = receiver.accepted()
    assert first["body"] == again["body"]
    assert verify(secret, again["headers"], again["body"])


def test_rotated_secret_signs_what_goes_out_next(app_ctx, office, receiver):
    endpoint, old = register(office, receiver.url)
    book(office, TUESDAY_10, at(app_ctx, MONDAY_9))
    new = hooks.rotate_secret(endpoint, None, MONDAY_9)
    db.session.commit()
    deliver(app_ctx)
    (got,) = receiver.accepted()
    assert new != old
    assert verify(new, got["headers"], got["body"])
    assert not verify(old, got["headers"], got["body"])


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",
        "ftp://example.org/hook",
        "https://",
        "https://user:pw@example.org/hook",
        "https://10.0.0.5/hook",
        "not a url",
    ],
)
def test_bad_urls_are_refused(app_ctx, office, url):
    with pytest.raises(DomainError) as error:
        hooks.check_url(url)
    assert error.value.status == 422


def test_plain_http_to_localhost_only_where_allowed(app_ctx):
    assert hooks.check_url("https://hooks.example.org/x") == "https://hooks.example.org/x"
    assert hooks.check_url("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"
    app_ctx.config["TESTING"] = False
    try:
        with pytest.raises(DomainError):
            hooks.check_url("http://127.0.0.1:9/x")
    finally:
        app_ctx.config["TESTING"] = True


def test_backoff_doubles_with_jitter(app_ctx):
    app_ctx.config.update(WEBHOOK_RETRY_BASE_SECONDS=30, WEBHOOK_RETRY_MAX_SECONDS=3600)
    waits = [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 10)]
    assert 30 <= waits[0] <= 37.5 and 60 <= waits[1] <= 75 and 120 <= waits[2] <= 150
    assert 3600 <= waits[3] <= 4500
