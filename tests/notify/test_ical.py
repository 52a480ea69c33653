"""Every .ics the app sends (confirm, rebook, cancel; de and en; summer and winter) parses in
icalendar, vobject, ics and passes libical's RFC 5546 restriction check."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import vobject

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.notify import mails
from terminvergabe.notify.models import OutboxMessage

from .calendar_check import check_all_readers, libical_check
from .conftest import book, mark_sent

BERLIN = ZoneInfo("Europe/Berlin")
SEASONS = {
    # (clock, appointment start): a Tuesday 10:00 in Berlin, CET and CEST
    "winter": (
        dt.datetime(2026, 1, 12, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 13, 9, tzinfo=dt.UTC),
    ),
    "summer": (
        dt.datetime(2026, 7, 13, 6, tzinfo=dt.UTC),
        dt.datetime(2026, 7, 14, 8, tzinfo=dt.UTC),
    ),
}


def calendar_part(message) -> tuple[str, bytes]:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), part.get_payload(decode=True)


def composed(row: OutboxMessage):
    return mails.compose(row.kind, row.payload, row.message_id, "terminvergabe@localhost")


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("season", ["winter", "summer"])
def test_confirm_rebook_cancel_calendars(app_ctx, mail_office, season, locale):
    now, start = SEASONS[season]
    app_ctx.config["FROZEN_NOW"] = now
    appointment = book(mail_office, now, start_at=start, locale=locale)
    mark_sent()  # each mail goes out before the next change (a queued one would be obsolete)
    operations.rebook(appointment, start + dt.timedelta(hours=1), now)
    mark_sent()
    operations.cancel(appointment, now)
    db.session.commit()
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.kind for r in rows] == ["confirmed", "rebooked", "cancelled"]

    events = []
    for row, method in zip(rows, ["REQUEST", "REQUEST", "CANCEL"], strict=True):
        mime_method, data = calendar_part(composed(row))
        assert mime_method == method
        calendar = check_all_readers(data)
        assert calendar["METHOD"] == method
        [event] = calendar.walk("VEVENT")
        events.append(event)
        assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"

    assert len({str(e["UID"]) for e in events}) == 1
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    local_starts = [e.decoded("DTSTART").astimezone(BERLIN).time() for e in events]
    assert local_starts == [dt.time(10), dt.time(11), dt.time(11)]
    assert str(events[0]["ORGANIZER"]) == "mailto:buergerbuero@example.org"
    assert str(events[0]["ATTENDEE"]) == "mailto:erika@example.org"
    assert f"/a/{appointment.manage_token}" in str(events[0]["DESCRIPTION"])
    assert events[0].walk("VALARM") and not events[2].walk("VALARM")
    summary = str(events[0]["SUMMARY"])
    assert "Bürgerbüro Testamt" in summary


def test_vobject_reads_the_same_instant(app_ctx, mail_office, now):
    book(mail_office, now)
    row = db.session.scalars(sa.select(OutboxMessage)).one()
    _, data = calendar_part(composed(row))
    event = vobject.readOne(data.decode()).vevent
    assert event.dtstart.value.astimezone(dt.UTC) == dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)


def test_libical_catches_a_request_without_organizer():
    """The restriction check is a real check: an invitation without ORGANIZER fails it."""
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nMETHOD:REQUEST\r\n"
        "BEGIN:VEVENT\r\nUID:a@b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T090000Z\r\n"
        "SEQUENCE:0\r\nSUMMARY:x\r\nATTENDEE:mailto:a@example.org\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    assert libical_check(text).startswith("FAIL")


def test_reminder_and_office_cancellation_calendars(app_ctx, mail_office, now):
    appointment = book(mail_office, now, locale="en")
    mark_sent()
    operations.cancel(appointment, now, by="office")
    db.session.commit()
    confirmed, cancelled = db.session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id)
    ).all()
    reminder = mails.compose("reminder", confirmed.payload, "<r@localhost>", "x@localhost")
    assert calendar_part(reminder)[0] == "REQUEST"
    check_all_readers(calendar_part(reminder)[1])
    method, data = calendar_part(composed(cancelled))
    assert method == "CANCEL"
    check_all_readers(data)


def test_pending_and_never_confirmed_cancellation_carry_no_calendar(app_ctx, now):
    from tests.factories import create_office

    office = create_office(double_opt_in=True)
    db.session.commit()
    appointment = book(office, now)
    mark_sent()
    operations.cancel(appointment, now)
    db.session.commit()
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.kind for r in rows] == ["pending", "cancelled"]
    for row in rows:
        types = [p.get_content_type() for p in composed(row).walk()]
        assert "text/calendar" not in types and "image/png" not in types


def test_calendar_download_on_the_manage_token(client, mail_office, now):
    appointment = book(mail_office, now, locale="en")
    response = client.get(f"/a/{appointment.manage_token}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    calendar = check_all_readers(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    operations.cancel(appointment, now)
    db.session.commit()
    cancelled = check_all_readers(client.get(f"/a/{appointment.manage_token}/calendar.ics").data)
    assert cancelled["METHOD"] == "CANCEL"
    assert client.get("/a/not-a-token/calendar.ics").status_code == 404
    assert client.get(f"/a/{appointment.checkin_token}/calendar.ics").status_code == 404
