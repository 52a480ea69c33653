import datetime as dt

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import TooManyRequests

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness import altcha, holds
from terminvergabe.fairness.models import FairnessSetting, HoldClient
from tests.fairness.test_altcha import cheap_pow, solve  # noqa: F401

BERLIN_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)


def selection(office):
    return {office.services[2].id: 1}


def guarded_hold(app, office, now, start, data=None, ip="192.0.2.1"):
    with app.test_request_context(
        "/", method="POST", data=data or {}, environ_base={"REMOTE_ADDR": ip}
    ):
        return holds.hold_for_client(office, selection(office), start, now)


def test_open_holds_per_client_are_capped(app_ctx, office, now):
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=False, max_open_holds=3))
    for i in range(3):
        guarded_hold(app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=10 * i))
    with pytest.raises(DomainError) as refused:
        guarded_hold(app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=30))
    assert refused.value.code == "too_many_holds" and refused.value.status == 429
    # another client is not affected
    guarded_hold(app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=30), ip="192.0.2.2")
    # once the holds lapse, the client may hold again
    later = now + dt.timedelta(minutes=office.hold_minutes + 1)
    guarded_hold(app_ctx, office, later, BERLIN_10 + dt.timedelta(minutes=40))


def test_confirmed_bookings_do_not_count_as_open_holds(app_ctx, office, now):
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=False, max_open_holds=3))
    for i in range(4):
        held = guarded_hold(app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=10 * i))
        operations.confirm(held, "A", f"a{i}@example.org", "", now)


def test_without_proof_of_work_a_stricter_limit_applies(app_ctx, office, now, cheap_pow):  # noqa: F811
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=True))
    for i in range(4):  # FAIRNESS_LIMIT_HOLD_WITHOUT_POW: 4 per 10 minutes
        guarded_hold(app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=10 * i))
    with pytest.raises(TooManyRequests) as refused:
        guarded_hold(app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=40))
    retry_after = dict(refused.value.get_headers())["Retry-After"]
    assert 0 < int(retry_after) <= 600
    # with a solved challenge the hold goes through
    payload = solve(altcha.create_challenge())
    guarded_hold(app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=40), {"altcha": payload})
    # and a replayed one is refused
    with pytest.raises(DomainError) as replayed:
        guarded_hold(
            app_ctx, office, now, BERLIN_10 + dt.timedelta(minutes=50), {"altcha": payload}
        )
    assert replayed.value.code == "pow_replayed"


def test_the_booking_hold_itself_knows_no_cap(app_ctx, office, now):
    """The cap is the citizen layer's explicit call (hold_for_client), not a side effect of
    operations.hold: the waitlist's offers and the demo data hold times without it."""
    db.session.add(FairnessSetting(office_id=office.id, altcha_required=False, max_open_holds=1))
    with app_ctx.test_request_context("/", method="POST"):
        for i in range(3):
            start = BERLIN_10 + dt.timedelta(minutes=10 * i)
            operations.hold(office, selection(office), start, now)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HoldClient)) == 0
