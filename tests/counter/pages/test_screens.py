"""The waiting-room display, the kiosk and the phone status page
(terminvergabe/counter/pages/screens.py)."""

import json

from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.counter import checkin, tickets
from terminvergabe.counter.models import Ticket
from terminvergabe.db import db
from tests.counter.helpers import at, service


def _read_events(response, count):
    """The first `count` SSE events of a streamed response as (event, data) pairs."""
    received, buffer = [], ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "event" in fields:
                received.append((fields["event"], json.loads(fields["data"])))
        if len(received) >= count:
            break
    response.close()
    return received


def test_display_needs_an_active_device_token(client, office, now, clock):
    device, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    clock(9)
    assert client.get(f"/display/{token}").status_code == 200
    assert client.get(f"/display/{token}x").status_code == 403
    assert client.get(f"/kiosk/{token}").status_code == 403  # a display is no kiosk
    auth_ops.revoke_device(device, now)
    db.session.commit()
    assert client.get(f"/display/{token}").status_code == 403
    assert client.get(f"/display/{token}/events").status_code == 403


def test_display_stream_sends_snapshot_then_calls(client, office, now, clock):
    _, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    checkin.walk_in(office, service(office, "Personal").id, at(9))
    db.session.commit()
    clock(9, 1)
    response = client.get(f"/display/{token}/events")
    assert response.mimetype == "text/event-stream"
    stream = iter(response.response)
    first = next(stream)  # retry
    assert b"retry" in (first if isinstance(first, bytes) else first.encode())
    snapshot = next(stream)
    snapshot = snapshot.decode() if isinstance(snapshot, bytes) else snapshot
    assert "event: state" in snapshot and '"waiting":1' in snapshot
    # The stream removed its session after the snapshot (in tests, the test's own session too):
    # nothing is held while it waits, and a call from elsewhere commits freely.
    from terminvergabe.booking.models import Counter

    counter = db.session.scalars(db.select(Counter).order_by(Counter.id)).first()
    tickets.call_next(counter, at(9, 2))
    db.session.commit()
    call = next(stream)
    call = call.decode() if isinstance(call, bytes) else call
    assert "event: call" in call and "A-001" in call
    assert "ticket_id" not in call
    response.close()


def test_phone_page_shows_only_own_ticket(client, office, clock):
    clock(9)
    mine = checkin.walk_in(office, service(office, "Personal").id, at(9))
    other = checkin.walk_in(office, service(office, "Personal").id, at(9, 1))
    db.session.commit()
    page = client.get(f"/t/{other.status_token}").get_data(as_text=True)
    assert other.display_number in page and mine.display_number not in page
    assert client.get(f"/t/{other.status_token[:-1]}").status_code == 404
    assert client.get(f"/t/{other.id}").status_code == 404
    tickets.call_next(office.counters[1], at(9, 2))
    db.session.commit()
    page = client.get(f"/t/{mine.status_token}", query_string={"lang": "en"})
    assert 'Your turn: <span lang="de">Schalter 2</span>' in page.get_data(as_text=True)


def test_kiosk_walk_in_only_public_services(client, office, now, clock):
    _, token = auth_ops.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    internal = service(office, "Anmeldung")
    office.offer_of(internal.id).public = False
    db.session.commit()
    clock(9)
    page = client.get(f"/kiosk/{token}").get_data(as_text=True)
    assert "Anmeldung" not in page
    client.post(f"/kiosk/{token}/walk-in", data={"service": internal.id})
    assert db.session.query(Ticket).count() == 0
    response = client.post(
        f"/kiosk/{token}/walk-in", data={"service": service(office, "Personal").id}
    )
    assert response.status_code == 302
    ticket = db.session.query(Ticket).one()
    assert ticket.status_token in response.headers["Location"]
    assert ticket.display_number in client.get(response.headers["Location"]).get_data(as_text=True)


def test_revoked_display_stream_ends_at_the_next_event(client, office, now, clock):
    device, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    device_id, office_id = device.id, office.id
    clock(9)
    response = client.get(f"/display/{token}/events")
    stream = iter(response.response)

    def text(chunk):
        return chunk.decode() if isinstance(chunk, bytes) else chunk

    next(stream)  # retry
    assert "event: state" in text(next(stream))
    from terminvergabe.auth.models import Device
    from terminvergabe.booking.models import Office

    auth_ops.revoke_device(db.session.get(Device, device_id), now)
    current = db.session.get(Office, office_id)
    checkin.walk_in(current, service(current, "Personal").id, at(9))
    db.session.commit()
    assert "event: gone" in text(next(stream))
    response.close()
