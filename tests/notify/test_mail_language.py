"""Mails in the citizen's language and direction, links that open in it, and cancellation
mails that carry the office's reason and lead back to booking."""

import re

import pytest

from terminvergabe.admin.operations import cancel_by_office
from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.notify import tasks

from .conftest import book, mark_sent


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def test_arabic_mail_is_right_to_left_with_no_left_alignment(smtp, mail_office, now):
    book(mail_office, now, locale="ar")
    tasks.send_outbox(now)
    [message] = smtp.inbox.messages
    html = html_of(message)
    assert re.search(r'<html lang="ar" dir="rtl">', html)
    assert "text-align:left" not in html and "padding-left:20px" not in html
    assert "text-align:right" in html


@pytest.mark.parametrize("locale", ["de", "en", "tr", "ar", "uk"])
def test_every_mail_template_follows_the_direction(app_ctx, mail_office, now, locale):
    from terminvergabe.notify import mails
    from terminvergabe.notify.payload import snapshot

    appointment = book(mail_office, now, locale=locale)
    rtl = locale == "ar"
    for kind, extra in [
        ("pending", {}),
        ("confirmed", {}),
        ("reminder", {}),
        ("rebooked", {"previous_start_at": appointment.start_at.isoformat()}),
        ("cancelled", {"by": "citizen"}),
        ("cancelled", {"by": "office", "reason": "Krankheit"}),
    ]:
        _, _, html = mails.render(kind, snapshot(appointment, now, **extra))
        assert f'dir="{"rtl" if rtl else "ltr"}"' in html
        assert ("text-align:left" in html) is not rtl


def test_manage_link_opens_in_the_language_of_the_booking(client, smtp, mail_office, now):
    appointment = book(mail_office, now, locale="ar")
    tasks.send_outbox(now)
    [message] = smtp.inbox.messages
    text = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"http://localhost/a/\S+", text)
    assert link == f"http://localhost/a/{appointment.manage_token}?lang=ar"
    page = client.get(link.removeprefix("http://localhost"), headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text


def test_office_cancellation_carries_the_reason_and_a_link_to_book_again(smtp, mail_office, now):
    appointment = book(mail_office, now, locale="en")
    mark_sent()
    cancel_by_office(appointment, None, now, reason="Staff meeting")
    db.session.commit()
    tasks.send_outbox(now)
    [message] = smtp.inbox.messages
    text = message.get_body(("plain",)).get_content()
    assert "The office's reason: Staff meeting" in text
    assert f"http://localhost/o/{mail_office.slug}?lang=en" in text
    assert "Staff meeting" in html_of(message)
    assert f'href="http://localhost/o/{mail_office.slug}?lang=en"' in html_of(message)


def test_citizen_cancellation_links_to_book_again_without_a_reason(smtp, mail_office, now):
    appointment = book(mail_office, now, locale="de")
    mark_sent()
    operations.cancel(appointment, now, reason="not for the citizen's own cancellation")
    db.session.commit()
    tasks.send_outbox(now)
    [message] = smtp.inbox.messages
    text = message.get_body(("plain",)).get_content()
    assert f"http://localhost/o/{mail_office.slug}?lang=de" in text
    assert "Begründung" not in text and "not for the citizen" not in text
