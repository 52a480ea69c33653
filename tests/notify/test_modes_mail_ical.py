"""Mails and .ics say how an appointment takes place: in person the office's address (and the
check-in QR code); by phone "we will call you at <number>" and no place; by video the office's
link as LOCATION and URL. Every .ics is read by icalendar, vobject, ics and libical."""

import datetime as dt

import pytest
import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.notify import mails
from terminvergabe.notify.models import OutboxMessage
from terminvergabe.notify.payload import snapshot
from tests.modes_setup import PASSPORT, VIDEO_URL, chosen, modes_office

from .calendar_check import check_all_readers
from .conftest import TUESDAY_10, mark_sent
from .test_ical import calendar_part, composed

PHONE = "+49 221 987654"


@pytest.fixture
def office(app_ctx):
    return modes_office()


def book(office, now, mode, locale="de"):
    appointment = operations.hold(office, chosen(office, PASSPORT), TUESDAY_10, now, locale=locale)
    operations.confirm(appointment, "Erika Mustermann", "erika@example.org", PHONE, now, mode=mode)
    db.session.commit()
    return appointment


def outbox() -> list[OutboxMessage]:
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def text_and_html(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def event_of(message):
    _method, data = calendar_part(message)
    [event] = check_all_readers(data).walk("VEVENT")
    return event


def has_qr_image(message) -> bool:
    return any(p.get_content_type() == "image/png" for p in message.walk())


def test_in_person_the_mail_and_calendar_give_the_address(office, now):
    book(office, now, "in_person", locale="en")
    message = composed(outbox()[0])
    text, _html = text_and_html(message)
    assert "Where: Bürgerbüro Testamt" in text and "Markt 1" in text
    assert "call you" not in text
    event = event_of(message)
    assert str(event["LOCATION"]) == "Bürgerbüro Testamt, Markt 1, 50667 Köln"
    assert "/a/" in str(event["URL"])
    assert has_qr_image(message)


@pytest.mark.parametrize("locale", ["de", "en", "ar"])
def test_by_phone_the_office_calls_and_there_is_no_place(office, now, locale):
    appointment = book(office, now, "phone", locale=locale)
    mark_sent()
    operations.rebook(appointment, TUESDAY_10 + dt.timedelta(hours=1), now)
    db.session.commit()
    confirmed, rebooked = outbox()
    for row in (confirmed, rebooked):
        message = composed(row)
        text, html = text_and_html(message)
        assert PHONE in text and PHONE in html
        assert "Markt 1" not in text.split("--")[0]  # only the footer names the address
        assert not has_qr_image(message)  # nobody checks in at the desk
        event = event_of(message)
        assert "LOCATION" not in event
        assert PHONE in str(event["DESCRIPTION"])
    if locale == "en":
        assert "How: By phone: we will call you at +49 221 987654." in text
        assert str(event["SUMMARY"]) == "Phone appointment with Bürgerbüro Testamt"
        assert str(event["DESCRIPTION"]).startswith("The office will call you at +49 221 987654.")
    if locale == "de":
        assert "Wie: Telefonisch: Wir rufen Sie unter +49 221 987654 an." in text


def test_by_video_the_link_is_the_location_and_url(office, now):
    appointment = book(office, now, "video", locale="en")
    message = composed(outbox()[0])
    text, html = text_and_html(message)
    assert f"By video, with this link:\n    {VIDEO_URL}" in text
    assert f'href="{VIDEO_URL}"' in html
    assert not has_qr_image(message)
    event = event_of(message)
    assert str(event["LOCATION"]) == VIDEO_URL
    assert str(event["URL"]) == VIDEO_URL
    assert VIDEO_URL in str(event["DESCRIPTION"])
    assert f"/a/{appointment.manage_token}" in str(event["DESCRIPTION"])  # still manageable
    # the reminder says the same
    _subject, reminder_text, _html = mails.render("reminder", snapshot(appointment, now))
    assert VIDEO_URL in reminder_text


def test_by_video_without_a_link_set_the_mail_says_it_will_follow(office, now):
    for offer in office.offers:
        offer.video_url = ""
    db.session.commit()
    book(office, now, "video", locale="en")
    message = composed(outbox()[0])
    text, _html = text_and_html(message)
    assert "By video: we will send you the link before the appointment." in text
    event = event_of(message)
    assert "LOCATION" not in event
    assert "/a/" in str(event["URL"])


def test_the_cancellation_names_no_link(office, now):
    appointment = book(office, now, "video", locale="en")
    mark_sent()
    operations.cancel(appointment, now)
    db.session.commit()
    message = composed(outbox()[-1])
    text, _html = text_and_html(message)
    assert VIDEO_URL not in text
    method, data = calendar_part(message)
    assert method == "CANCEL"
    check_all_readers(data)


@pytest.mark.parametrize("mode", ["phone", "video"])
def test_the_calendar_download_follows_the_mode(app_ctx, office, now, mode):
    appointment = book(office, now, mode)
    response = app_ctx.test_client().get(f"/a/{appointment.manage_token}/calendar.ics")
    [event] = check_all_readers(response.data).walk("VEVENT")
    if mode == "phone":
        assert "LOCATION" not in event
    else:
        assert str(event["LOCATION"]) == VIDEO_URL


def test_a_mail_queued_before_modes_existed_renders_in_person(office, now):
    appointment = book(office, now, "in_person", locale="en")
    payload = snapshot(appointment, now)
    for key in ("mode", "video_url"):
        del payload[key]
    del payload["citizen"]["phone"]
    _subject, text, _html = mails.render("confirmed", payload)
    assert "Where: Bürgerbüro Testamt" in text
    assert mails.has_qr("confirmed", payload)
