"""waitlist.offer_made: a freed time offered to a waiting citizen reaches the receiver, after
the cancellation that freed it (different appointments, each in its own order)."""

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.integrations import tasks
from terminvergabe.integrations.models import Event
from tests.fairness.conftest import scarce_office  # noqa: F401  (fixture)
from tests.fairness.test_waitlist import join, offers_of

from .conftest import register, verify


def test_an_offer_is_announced(app_ctx, scarce_office, receiver, now):  # noqa: F811
    office, booked = scarce_office
    _, secret = register(office, receiver.url, level="ids")
    ada = join(office, now, "Ada", 1)
    operations.cancel(booked[2], now)
    db.session.commit()
    (offer,) = offers_of(ada)
    assert tasks.deliver_webhooks(now)["delivered"] == 2
    got = receiver.accepted()
    assert [r["json"]["type"] for r in got] == [Event.CANCELLED, Event.OFFER_MADE]
    made = got[1]["json"]["data"]["appointment"]
    assert made["id"] == offer.appointment_id
    assert made["start_at"] == booked[2].start_at.isoformat().replace("+00:00", "Z")
    assert made["offer_expires_at"] is not None
    assert all(verify(secret, r["headers"], r["body"]) for r in got)
    assert b"ada@example.org" not in got[1]["body"]
