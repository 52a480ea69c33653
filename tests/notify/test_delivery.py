"""Delivery through a real SMTP server: international addresses, errors that are given up at
once and say nothing about the citizen, and one appointment's mails in the order of its
changes."""

import datetime as dt
import email.policy
from email import message_from_string

import pytest
import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.metrics import MAILS
from terminvergabe.notify import sender, tasks
from terminvergabe.notify.models import OutboxMessage, OutboxStatus

from .conftest import TUESDAY_10, book

INTERNATIONAL = "hans@müller.example"


def rows():
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def restart(smtp, smtputf8):
    smtp.stop()
    smtp.smtputf8 = smtputf8
    smtp.start()


def test_international_domain_goes_as_idna_without_smtputf8(smtp, mail_office, now):
    restart(smtp, smtputf8=False)
    book(mail_office, now, email_address=INTERNATIONAL)
    assert sender.send_due(lambda: now).sent == 1
    [(_, recipients)] = smtp.inbox.envelopes
    assert recipients == ["hans@xn--mller-kva.example"]
    [message] = smtp.inbox.messages
    assert message["To"].addresses[0].addr_spec == "hans@xn--mller-kva.example"
    assert message["To"].addresses[0].display_name == "Erika Mustermann"
    assert smtp.inbox.raw[0].isascii()  # nothing but 7-bit for a server without SMTPUTF8
    [row] = rows()
    assert row.status == OutboxStatus.SENT


def test_international_address_goes_as_it_is_with_smtputf8(smtp, mail_office, now):
    restart(smtp, smtputf8=True)
    book(mail_office, now, email_address="jürgen@müller.example")
    assert sender.send_due(lambda: now).sent == 1
    [(_, [recipient])] = smtp.inbox.envelopes
    # aiosmtpd hands the envelope over as str with the raw UTF-8 bytes escaped
    assert recipient.encode("utf-8", "surrogateescape").decode() == "jürgen@müller.example"
    # UTF-8 headers (RFC 6532): the email package reads them from text, not from bytes
    message = message_from_string(smtp.inbox.raw[0].decode("utf-8"), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "jürgen@müller.example"
    assert "Reisepass" in message.get_body(("plain",)).get_content()


def test_non_ascii_local_part_without_smtputf8_fails_at_once(smtp, mail_office, now):
    restart(smtp, smtputf8=False)
    book(mail_office, now, email_address="jürgen@example.org")
    failed_before = MAILS.labels(outcome="failed")._value.get()
    report = sender.send_due(lambda: now)
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    [row] = rows()
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert "SMTPUTF8" in row.last_error and "jürgen" not in row.last_error
    assert MAILS.labels(outcome="failed")._value.get() == failed_before + 1
    assert smtp.inbox.raw == []


def test_invalid_international_domain_fails_at_once(smtp, mail_office, now):
    book(mail_office, now, email_address="hans@mü_ller.example")
    book(mail_office, now, email_address="hans@ex\u00adample.org")  # soft hyphen: mapped away
    report = sender.send_due(lambda: now)
    assert (report.sent, report.failed, report.retried) == (1, 1, 0)
    assert smtp.inbox.envelopes[0][1] == ["hans@example.org"]


def test_refused_recipient_is_recorded_without_the_address(smtp, mail_office, now, caplog):
    async def refuse(server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected"

    smtp.inbox.handle_RCPT = refuse
    restart(smtp, smtputf8=False)
    book(mail_office, now, email_address="erika@example.org")
    assert sender.send_due(lambda: now).failed == 1
    [row] = rows()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "SMTPRecipientsRefused: 550 5.1.1 recipient refused"
    assert "erika" not in caplog.text and "outbox message" in caplog.text


def test_mail_counters_count_sent_and_retried(smtp, mail_office, now):
    sent_before = MAILS.labels(outcome="sent")._value.get()
    retried_before = MAILS.labels(outcome="retried")._value.get()
    smtp.stop()
    book(mail_office, now)
    sender.send_due(lambda: now)
    smtp.start()
    sender.send_due(lambda: now + dt.timedelta(minutes=1))
    assert MAILS.labels(outcome="retried")._value.get() == retried_before + 1
    assert MAILS.labels(outcome="sent")._value.get() == sent_before + 1


def test_flask_outbox_shows_attempts_and_error_of_a_mail_being_retried(
    smtp, app_ctx, mail_office, now
):
    smtp.stop()
    book(mail_office, now)
    sender.send_due(lambda: now)
    output = app_ctx.test_cli_runner().invoke(args=["outbox"]).output
    [row] = rows()
    assert "queued: 1" in output
    assert f"#{row.id} confirmed attempts=1" in output
    assert row.last_error and row.last_error in output


def subjects(smtp):
    return [" ".join(m["Subject"].split()) for m in smtp.inbox.messages]


def send_everything(start):
    """The outbox job run every five minutes for a day: each message is due at some run."""
    for minutes in range(0, 24 * 60, 5):
        tasks.send_outbox(start + dt.timedelta(minutes=minutes))


def test_after_an_outage_one_appointments_mails_arrive_in_order(smtp, mail_office, now):
    """The confirmation waits in backoff; the reminder queued later, due at once, waits behind
    it instead of arriving first."""
    smtp.stop()
    book(mail_office, now, locale="en")
    day_before = TUESDAY_10 - dt.timedelta(hours=23)
    [confirmed] = rows()
    while confirmed.next_attempt_at <= day_before:  # the confirmation fails again and again
        sender.send_due(lambda: confirmed.next_attempt_at)
        db.session.refresh(confirmed)
    assert tasks.queue_reminders(day_before) == 1
    [confirmed, reminder] = rows()
    assert confirmed.next_attempt_at > reminder.next_attempt_at  # the reminder is due first
    smtp.start()
    assert sender.send_due(lambda: reminder.next_attempt_at).sent == 0  # it waits
    send_everything(day_before)
    assert subjects(smtp) == [
        "Your appointment on Tuesday, January 13, 2026 is booked",
        "Reminder: your appointment on Tuesday, January 13, 2026 at 10:00 AM",
    ]


def test_mails_made_obsolete_by_a_later_change_are_never_sent(smtp, mail_office, now):
    smtp.stop()
    appointment = book(mail_office, now, locale="en")
    sender.send_due(lambda: now)  # the confirmation fails and waits
    operations.rebook(appointment, TUESDAY_10 + dt.timedelta(hours=1), now)
    db.session.commit()
    sender.send_due(lambda: now)  # that fails too
    # The confirmation of 10:00 is obsolete; the citizen never heard of 10:00, so the mail
    # about the move is the confirmation of 11:00.
    [confirmed] = rows()
    assert confirmed.kind == "confirmed" and "previous_start_at" not in confirmed.payload
    assert confirmed.payload["start_at"] == (TUESDAY_10 + dt.timedelta(hours=1)).isoformat()
    operations.cancel(appointment, now)
    db.session.commit()
    assert [r.kind for r in rows()] == ["cancelled"]
    smtp.start()
    send_everything(now)
    assert subjects(smtp) == ["Your appointment on Tuesday, January 13, 2026 is cancelled"]


def test_two_moves_while_the_server_is_down_arrive_as_one_from_the_time_known(
    smtp, mail_office, now
):
    appointment = book(mail_office, now, locale="en")
    tasks.send_outbox(now)  # the citizen has the confirmation of 10:00
    smtp.stop()
    for hours in (1, -1):
        operations.rebook(appointment, TUESDAY_10 + dt.timedelta(hours=hours), now)
        db.session.commit()
        sender.send_due(lambda: now)
    smtp.start()
    send_everything(now)
    confirmation, moved = smtp.inbox.messages
    text = moved.get_body(("plain",)).get_content()
    assert "Previously: Tuesday, January 13, 2026, 10:00" in text
    assert "Now: Tuesday, January 13, 2026, 9:00" in text


def test_a_mail_on_the_wire_is_not_withdrawn_and_the_next_waits_for_it(smtp, mail_office, now):
    from terminvergabe.notify import outbox

    appointment = book(mail_office, now, locale="en")
    [claim] = outbox.claim_due(now)  # a sender is sending the confirmation right now
    operations.cancel(appointment, now)
    db.session.commit()
    assert [r.kind for r in rows()] == ["confirmed", "cancelled"]
    assert outbox.claim_due(now) == []  # the cancellation waits for the confirmation
    outbox.mark_sent(claim, now)
    send_everything(now)
    assert subjects(smtp) == ["Your appointment on Tuesday, January 13, 2026 is cancelled"]


@pytest.mark.parametrize("smtputf8", [False, True])
def test_an_ascii_address_is_sent_the_same_with_or_without_smtputf8(
    smtp, mail_office, now, smtputf8
):
    restart(smtp, smtputf8)
    book(mail_office, now)
    assert sender.send_due(lambda: now).sent == 1
    assert smtp.inbox.raw[0].isascii()


def test_retry_failed_leaves_out_a_mail_a_later_one_has_overtaken(smtp, app_ctx, mail_office, now):
    appointment = book(mail_office, now, locale="en")
    other = book(mail_office, now, email_address="other@example.org")
    for row in rows():
        row.status, row.last_error = OutboxStatus.FAILED, "SMTPRecipientsRefused: 550"
    db.session.commit()
    operations.cancel(appointment, now)  # the cancellation overtakes the failed confirmation
    db.session.commit()
    output = app_ctx.test_cli_runner().invoke(args=["outbox", "--retry-failed"]).output
    assert "requeued: 1" in output
    statuses = {(r.appointment_id, r.kind): r.status for r in rows()}
    assert statuses[(appointment.id, "confirmed")] == OutboxStatus.FAILED
    assert statuses[(other.id, "confirmed")] == OutboxStatus.QUEUED
