"""The outbox: written with the booking, sent by the job, retried, never lost, never twice."""

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.booking.models import AppointmentStatus
from terminvergabe.db import db
from terminvergabe.notify import outbox, sender, tasks
from terminvergabe.notify.models import OutboxMessage, OutboxStatus

from .conftest import TUESDAY_10, book, selection


def outbox_rows():
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_mail_is_queued_in_the_booking_transaction(mail_office, now):
    sel = selection(mail_office, ("Reisepass beantragen", 1))
    appointment = operations.hold(mail_office, sel, TUESDAY_10, now)
    operations.confirm(appointment, "Erika", "erika@example.org", "", now)
    assert len(outbox_rows()) == 1
    db.session.rollback()  # the booking fails after the mail was queued: both are gone
    assert outbox_rows() == []


def test_hold_without_address_queues_nothing(mail_office, now):
    sel = selection(mail_office, ("Reisepass beantragen", 1))
    appointment = operations.hold(mail_office, sel, TUESDAY_10, now)
    operations.cancel(appointment, now)
    db.session.commit()
    assert outbox_rows() == []


def test_confirmation_is_sent_once(smtp, mail_office, now):
    appointment = book(mail_office, now)
    assert sender.send_due(lambda: now).sent == 1
    assert sender.send_due(lambda: now + dt.timedelta(hours=1)).sent == 0
    [message] = smtp.inbox.messages
    assert message["To"] == "Erika Mustermann <erika@example.org>"
    assert smtp.inbox.envelopes == [("terminvergabe@localhost", ["erika@example.org"])]
    [row] = outbox_rows()
    assert row.status == OutboxStatus.SENT and row.attempts == 1 and row.sent_at == now
    assert row.message_id == message["Message-ID"]
    assert appointment.status == AppointmentStatus.CONFIRMED
    # text and HTML alternatives, the QR code related to the HTML, the invitation attached
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "text/calendar",
    ]
    invitation = list(message.iter_attachments())[-1]
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_filename().endswith(".ics")
    assert message["Auto-Submitted"] == "auto-generated"


def test_smtp_outage_booking_succeeds_and_mail_arrives_exactly_once(smtp, mail_office, now):
    smtp.stop()
    appointment = book(mail_office, now)  # the booking does not wait for or fail on SMTP
    assert appointment.status == AppointmentStatus.CONFIRMED

    report = sender.send_due(lambda: now)
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    [row] = outbox_rows()
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    assert row.next_attempt_at == now + dt.timedelta(seconds=30)
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()

    later = now + dt.timedelta(seconds=30)
    assert sender.send_due(lambda: later).retried == 1  # still down: wait doubles
    db.session.refresh(row)
    assert row.next_attempt_at == later + dt.timedelta(seconds=60)

    smtp.start()
    assert sender.send_due(lambda: later).sent == 0  # not due yet: backoff is respected
    retry_at = later + dt.timedelta(seconds=60)
    assert sender.send_due(lambda: retry_at).sent == 1
    for minutes in (1, 10, 100):
        sender.send_due(lambda m=minutes: retry_at + dt.timedelta(minutes=m))
    assert len(smtp.inbox.messages) == 1
    db.session.refresh(row)
    assert row.status == OutboxStatus.SENT and row.attempts == 3


def test_backoff_doubles_up_to_the_maximum(app_ctx):
    waits = [outbox.backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_refused_recipient_fails_for_good_and_others_go_through(smtp, mail_office, now):
    async def refuse_unknown(server, session, envelope, address, rcpt_options):
        if address.startswith("unknown"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.inbox.handle_RCPT = refuse_unknown
    smtp.stop()
    smtp.start()
    book(mail_office, now, email_address="unknown@example.org")
    book(mail_office, now, email_address="erika@example.org")
    report = sender.send_due(lambda: now)
    assert (report.sent, report.failed) == (1, 1), report.errors
    first, second = outbox_rows()
    assert first.status == OutboxStatus.FAILED and "550" in first.last_error
    assert second.status == OutboxStatus.SENT
    assert sender.send_due(lambda: now + dt.timedelta(days=1)).sent == 0


def test_a_claimed_message_is_not_claimed_again_until_its_lease_lapses(mail_office, now):
    book(mail_office, now)
    [claim] = outbox.claim_due(now)
    assert outbox.claim_due(now) == []
    lapsed = now + outbox.lease_duration()
    [again] = outbox.claim_due(lapsed)
    assert again.token != claim.token
    # The first sender comes back late: its result is not recorded over the new claim.
    assert outbox.mark_sent(claim, lapsed) is False
    assert outbox.mark_sent(again, lapsed) is True


@pytest.mark.concurrency
def test_two_senders_never_send_a_message_twice(app, smtp, mail_office, now):
    """Two sender threads with their own database connections drain one outbox while the
    server is slow; every message arrives exactly once (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    original = smtp.inbox.handle_DATA

    async def slow_data(server, session, envelope):
        import asyncio

        await asyncio.sleep(0.01)
        return await original(server, session, envelope)

    smtp.inbox.handle_DATA = slow_data
    smtp.stop()
    smtp.start()
    count = 60
    queue_copies(book(mail_office, now), now, count - 1)
    assert len(outbox_rows()) == count
    db.session.commit()  # end the test's own transaction (on SQLite it holds the write lock)

    barrier = threading.Barrier(2)
    errors, sent_by = [], {}

    def drain(name):
        try:
            with app.app_context():
                barrier.wait()
                for _round in range(count):
                    sent = sender.send_due(lambda: now).sent
                    sent_by[name] = sent_by.get(name, 0) + sent
                    if sent == 0 and not _due_left():
                        break
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=drain, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == count
    assert len(set(ids)) == count
    assert sent_by["a"] > 0 and sent_by["b"] > 0, sent_by  # both senders really took part
    db.session.expire_all()
    assert all(row.status == OutboxStatus.SENT for row in outbox_rows())


def queue_copies(appointment, now, count):
    """More messages for the sender, each its own mail. Not tied to the appointment: one
    appointment's mails go out one after the other, and these are to be sent side by side."""
    for number in range(count):
        queued = outbox.enqueue_text(
            appointment.citizen_email, f"Kopie {number}", "Text", "de", "copy", now
        )
        assert queued is not None
    db.session.commit()


def _due_left() -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
        )
    )


def test_send_outbox_job_drains_more_than_one_batch(smtp, mail_office, now, app_ctx):
    app_ctx.config["MAIL_SUPPRESS_SEND"] = True  # Flask-Mail's switch: counted, not sent
    queue_copies(book(mail_office, now), now, outbox.BATCH_SIZE + 4)
    assert tasks.send_outbox(now) == outbox.BATCH_SIZE + 5
    assert smtp.inbox.messages == []


def test_prerendered_mail_from_another_package(smtp, app_ctx, now):
    queued = outbox.enqueue_text(
        to="wait@example.org",
        subject="Ein Termin ist für Sie frei geworden",
        text="Hallo,\nklicken Sie hier.",
        locale="de",
        kind="waitlist_offer",
        now=now,
        dedupe_key="offer:1",
    )
    assert queued is not None
    assert (
        outbox.enqueue_text(
            "wait@example.org", "x", "y", "de", "waitlist_offer", now, dedupe_key="offer:1"
        )
        is None
    )
    db.session.commit()
    assert tasks.send_outbox(now) == 1
    [message] = smtp.inbox.messages
    assert message["Subject"] == "Ein Termin ist für Sie frei geworden"
    assert message["To"] == "wait@example.org"
    assert message["Content-Language"] == "de"
    assert "klicken Sie hier" in message.get_body(("plain",)).get_content()


def test_flask_outbox_lists_and_requeues_failed_mail(app_ctx, mail_office, now):
    book(mail_office, now)
    [row] = outbox_rows()
    row.status, row.last_error = OutboxStatus.FAILED, "SMTPRecipientsRefused: 550"
    db.session.commit()
    runner = app_ctx.test_cli_runner()
    listed = runner.invoke(args=["outbox"])
    assert "failed: 1" in listed.output and "550" in listed.output
    requeued = runner.invoke(args=["outbox", "--retry-failed"])
    assert "requeued: 1" in requeued.output and "queued: 1" in requeued.output


def test_forget_blanks_messages_and_takes_queued_ones_out_of_the_queue(mail_office, now):
    """Data protection: a forgotten mail keeps no address and is never sent."""
    first, second = (
        book(mail_office, now),
        book(mail_office, now, email_address="zweite@example.org"),
    )
    sent, queued = outbox_rows()
    sent.status, sent.sent_at = OutboxStatus.SENT, now
    db.session.commit()
    mine = OutboxMessage.appointment_id.in_([first.id, second.id])
    assert outbox.forget(mine, "erased") == 2
    db.session.commit()
    db.session.expire_all()
    assert [(m.status, m.recipient, m.payload) for m in outbox_rows()] == [
        (OutboxStatus.SENT, "", {}),
        (OutboxStatus.FAILED, "", {}),
    ]
    assert outbox_rows()[1].last_error == "erased"
    assert outbox.claim_due(now + dt.timedelta(days=1)) == []
    assert outbox.forget(mine, "erased") == 0  # idempotent


@pytest.mark.concurrency
def test_two_sender_processes_never_send_a_message_twice(app, smtp, mail_office, now):
    """Two `flask scheduler --once --job send_outbox` processes on the same database."""
    import os
    import subprocess
    import sys

    original = smtp.inbox.handle_DATA

    async def slow_data(server, session, envelope):
        import asyncio

        await asyncio.sleep(0.05)
        return await original(server, session, envelope)

    smtp.inbox.handle_DATA = slow_data
    smtp.stop()
    smtp.start()
    count = 60
    queue_copies(book(mail_office, now), now, count - 1)
    db.session.commit()
    env = dict(
        os.environ,
        TERMINVERGABE_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        TERMINVERGABE_MAIL_SERVER="127.0.0.1",
        TERMINVERGABE_MAIL_PORT=str(smtp.port),
        TERMINVERGABE_MAIL_SUPPRESS_SEND="false",
        TERMINVERGABE_SECRET_KEY="test-key",
    )
    command = [sys.executable, "-m", "flask", "--app", "terminvergabe", "scheduler", "--once"]
    command += ["--job", "send_outbox"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == count and len(set(ids)) == count
    db.session.expire_all()
    assert all(row.status == OutboxStatus.SENT for row in outbox_rows())
