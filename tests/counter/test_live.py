"""The live streams' fan-out: shared renderings, revocation without a database query per
event, and the limit of streams per process."""

import pytest

from terminvergabe import events
from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.booking.models import Office
from terminvergabe.counter import checkin, live, state
from terminvergabe.db import db
from tests.counter.helpers import at, service


@pytest.fixture
def clock(app_ctx):
    app_ctx.config["FROZEN_NOW"] = at(9)


def text(chunk) -> str:
    return chunk.decode() if isinstance(chunk, bytes) else chunk


def walk_in(office_id: int) -> None:
    office = db.session.get(Office, office_id)
    checkin.walk_in(office, service(office, "Personal").id, at(9))
    db.session.commit()


def test_displays_of_an_office_share_one_rendering_per_event(
    client, office, now, clock, monkeypatch
):
    _, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    office_id = office.id
    rendered = []
    display = state.display
    monkeypatch.setattr(state, "display", lambda *a: rendered.append(1) or display(*a))
    responses = [client.get(f"/display/{token}/events") for _ in range(3)]
    streams = [iter(response.response) for response in responses]
    for stream in streams:
        next(stream)  # retry
        assert "event: state" in text(next(stream))
    assert len(rendered) == 1  # the snapshot on connect is shared too
    walk_in(office_id)
    frames = [text(next(stream)) for stream in streams]
    assert len(set(frames)) == 1 and '"waiting":1' in frames[0]
    assert len(rendered) == 2
    # The streams share one thread here: each pushed its request context over the one
    # before, so they end in the reverse order.
    for response in reversed(responses):
        response.close()


def test_revocation_ends_the_stream_at_once(client, office, now, clock):
    device, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    device_id = device.id
    stream = iter(client.get(f"/display/{token}/events").response)
    next(stream)
    next(stream)
    auth_ops.revoke_device(db.session.get(Device, device_id), now)
    db.session.commit()
    assert "event: gone" in text(next(stream))


def test_revoked_display_stops_at_the_periodic_check_without_an_event(
    client, office, now, clock, monkeypatch
):
    """A revocation whose event was lost (e.g. while the listener reconnected) still ends the
    stream within CHECK_SECONDS."""
    monkeypatch.setattr(live, "CHECK_SECONDS", 0)
    device, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    device_id = device.id
    stream = iter(client.get(f"/display/{token}/events").response)
    next(stream)
    next(stream)
    db.session.get(Device, device_id).revoked_at = now  # no event announced
    db.session.commit()
    assert "event: gone" in text(next(stream))


def test_a_process_serves_at_most_its_stream_limit(app, client, office, now, clock):
    _, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    app.config["LIVE_STREAMS"] = 1
    try:
        first = client.get(f"/display/{token}/events")
        next(iter(first.response))
        busy = client.get(f"/display/{token}/events")
        assert busy.status_code == 200  # EventSource reconnects after `retry`, not after an error
        body = busy.get_data(as_text=True)
        assert body.startswith("retry: ") and "event:" not in body
        first.close()
        again = client.get(f"/display/{token}/events")
        next(iter(again.response))
        assert "event: state" in text(next(iter(again.response)))
        again.close()
    finally:
        app.config.pop("LIVE_STREAMS")


def test_phones_of_an_office_share_one_reading_of_the_queue(client, office, clock, monkeypatch):
    first = checkin.walk_in(office, service(office, "Personal").id, at(9))
    second = checkin.walk_in(office, service(office, "Personal").id, at(9))
    db.session.commit()
    office_id, tokens = office.id, [first.status_token, second.status_token]
    read = []
    office_queue = state.office_queue
    monkeypatch.setattr(state, "office_queue", lambda *a: read.append(1) or office_queue(*a))
    responses = [client.get(f"/t/{token}/events", query_string={"lang": "en"}) for token in tokens]
    streams = [iter(response.response) for response in responses]
    for stream in streams:
        next(stream)  # retry
        next(stream)
    assert len(read) == 1
    walk_in(office_id)
    frames = [text(next(stream)) for stream in streams]
    assert "You are next" in frames[0] and "1 person before you" in frames[1]
    assert len(read) == 2
    for response in reversed(responses):
        response.close()


def test_head_says_whether_a_screen_may_reconnect(client, office, now, clock):
    """counter.js asks this before it reconnects after an error status: the same refusal as
    the stream's (a revoked device, no login), and no stream when allowed."""
    device, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    device_id, office_id = device.id, office.id
    open_before = events.broker().subscriber_count()
    allowed = client.head(f"/display/{token}/events")
    assert allowed.status_code == 200 and allowed.mimetype == "text/event-stream"
    assert events.broker().subscriber_count() == open_before
    db.session.get(Device, device_id).revoked_at = now
    db.session.commit()
    assert client.head(f"/display/{token}/events").status_code == 403
    asked = client.head(f"/desk/{office_id}/events", headers={"Accept": "text/event-stream"})
    assert asked.status_code == 401  # not the login page's 200 after a redirect
