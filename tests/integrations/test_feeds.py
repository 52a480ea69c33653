"""Calendar feeds of staff members and counters (integrations/feeds.py, views.py), read with
the same independent readers as the mails' calendars."""

import datetime as dt

import icalendar
import ics
import pytest
import vobject

from terminvergabe.auth import operations as auth_ops
from terminvergabe.booking import operations
from terminvergabe.booking.models import Role, ShiftException
from terminvergabe.db import db
from terminvergabe.integrations import operations as feeds_ops
from tests.auth.staff import PASSWORD, forget_setup_entries, log_in
from tests.factories import create_office
from tests.notify.calendar_check import libical_check

MONDAY_9 = dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC)
TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def office(app_ctx):
    office = create_office()
    db.session.commit()
    return office


def booked(office, start_at=TUESDAY_10):
    appointment = operations.hold(office, {office.services[0].id: 1}, start_at, MONDAY_9)
    operations.confirm(appointment, "Erika Mustermann", "erika@example.org", "0221 555", MONDAY_9)
    db.session.commit()
    return appointment


def read_all(text: str, count: int) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(text)
    vobject.readOne(text).validate()
    assert len(ics.Calendar(text).events) == count
    assert libical_check(text) == "OK"
    return calendar


def clerk_of(appointment):
    """The staff member whose weekly shift is at the appointment's counter."""
    from terminvergabe.booking.models import ShiftPattern

    pattern = db.session.query(ShiftPattern).filter_by(counter_id=appointment.counter_id).first()
    return pattern.staff_member


def test_staff_feed_lists_their_appointments_without_contact_data(client, office):
    appointment = booked(office)
    clerk = clerk_of(appointment)
    token = feeds_ops.create_feed(None, MONDAY_9, staff=clerk)
    db.session.commit()
    answer = client.get(f"/feeds/{token}.ics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/calendar")
    calendar = read_all(answer.text, 1)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == TUESDAY_10
    assert appointment.booking_code in str(event["summary"])
    unfolded = answer.text.replace("\r\n ", "")  # a long line is folded (RFC 5545, 3.1)
    for personal in ("Erika", "erika@example.org", "0221 555"):
        assert personal not in unfolded


def test_contact_data_only_where_the_office_allows_it(client, office):
    appointment = booked(office)
    feeds_ops.set_contact_data(office.id, True, None, MONDAY_9, office.municipality_id)
    token = feeds_ops.create_feed(None, MONDAY_9, counter=appointment.counter)
    db.session.commit()
    answer = client.get(f"/feeds/{token}.ics")
    read_all(answer.text, 1)
    assert "erika@example.org" in answer.text.replace("\r\n ", "")


def test_absence_removes_the_appointment_from_the_staff_feed(client, office):
    appointment = booked(office)
    clerk = clerk_of(appointment)
    db.session.add(
        ShiftException(staff_member_id=clerk.id, date=dt.date(2026, 1, 13), kind="absence")
    )
    token = feeds_ops.create_feed(None, MONDAY_9, staff=clerk)
    db.session.commit()
    text = client.get(f"/feeds/{token}.ics").text
    assert appointment.booking_code not in text
    assert len(icalendar.Calendar.from_ical(text).walk("VEVENT")) == 0


def test_a_new_feed_replaces_the_old_and_revoking_ends_it(client, office):
    appointment = booked(office)
    clerk = clerk_of(appointment)
    old = feeds_ops.create_feed(None, MONDAY_9, staff=clerk)
    new = feeds_ops.create_feed(None, MONDAY_9, staff=clerk)
    db.session.commit()
    assert client.get(f"/feeds/{old}.ics").status_code == 404
    assert client.get(f"/feeds/{new}.ics").status_code == 200
    feeds_ops.revoke_feed(None, MONDAY_9, staff=clerk)
    db.session.commit()
    assert client.get(f"/feeds/{new}.ics").status_code == 404
    assert client.get("/feeds/nonsense.ics").status_code == 404


def test_staff_page_shows_a_new_address_once(client, office):
    member = auth_ops.create_staff("clerk", PASSWORD, "Clerk", [Role.CLERK], office)
    forget_setup_entries()
    db.session.commit()
    log_in(client, member)
    assert client.get("/staff/calendar").status_code == 200
    page = client.post("/staff/calendar", data={"action": "create"})
    assert page.status_code == 200 and "/feeds/" in page.text
    assert "/feeds/" not in client.get("/staff/calendar").text
    # A clerk hands out no counter's feed.
    counter = office.counters[0]
    refused = client.post("/staff/calendar", data={"action": "create", "counter": counter.id})
    assert refused.status_code == 404
    assert client.post("/staff/calendar", data={"action": "revoke"}).status_code == 302
    assert feeds_ops.active_feed(staff=member) is None
