"""Reminders, double opt-in expiry, locale of the mails, and the scheduler."""

import datetime as dt

import sqlalchemy as sa

from terminvergabe.booking import operations
from terminvergabe.booking.models import AppointmentStatus
from terminvergabe.db import db
from terminvergabe.notify import scheduler, sender, tasks
from terminvergabe.notify.models import OutboxMessage, SchedulerHeartbeat
from tests.factories import create_office

from .conftest import TUESDAY_10, book, mark_sent, selection


def kinds():
    return [m.kind for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]


def test_reminder_once_a_day_before(smtp, mail_office, now):
    appointment = book(mail_office, now - dt.timedelta(days=3))  # booked days ahead
    assert tasks.queue_reminders(now - dt.timedelta(hours=1)) == 0  # 25 h before: too early
    day_before = TUESDAY_10 - dt.timedelta(hours=23)
    assert tasks.queue_reminders(day_before) == 1
    assert tasks.queue_reminders(day_before) == 0  # the job runs again: nothing new
    assert tasks.queue_reminders(day_before + dt.timedelta(hours=5)) == 0
    assert kinds() == ["confirmed", "reminder"]
    tasks.send_outbox(day_before)
    reminder = smtp.inbox.messages[-1]
    assert reminder["Subject"].startswith("Erinnerung") or "Reminder" in reminder["Subject"]
    assert appointment.booking_code[:4] in reminder.get_body(("plain",)).get_content()


def test_no_reminder_for_a_booking_made_within_the_lead(app_ctx, mail_office, now):
    book(mail_office, now)  # booked 25 h ahead; at 23 h the confirmation is fresh enough
    app_ctx.config["REMINDER_LEAD_HOURS"] = 48
    assert tasks.queue_reminders(now) == 0
    app_ctx.config["REMINDER_LEAD_HOURS"] = 24


def test_reminder_queued_by_two_jobs_at_once_exists_once(app_ctx, mail_office, now):
    """The unique dedupe key decides, even when the pre-check is bypassed."""
    appointment = book(mail_office, now - dt.timedelta(days=3))
    key = tasks.reminder_key(appointment)
    from terminvergabe.notify.outbox import enqueue

    assert enqueue("reminder", appointment, now, key) is not None
    assert enqueue("reminder", appointment, now, key) is None
    db.session.commit()
    assert kinds() == ["confirmed", "reminder"]


def test_double_opt_in_pending_mail_then_expiry_frees_the_time(smtp, app_ctx, now):
    office = create_office(double_opt_in=True, opt_in_minutes=30, counters=1)
    db.session.commit()
    sel = selection(office, ("Personalausweis beantragen", 1))
    appointment = book(office, now)
    assert appointment.status == AppointmentStatus.PENDING
    tasks.send_outbox(now)
    [pending] = smtp.inbox.messages
    body = pending.get_body(("plain",)).get_content()
    assert f"/a/{appointment.manage_token}/confirm-email" in body
    assert [p.get_content_type() for p in pending.walk()].count("text/calendar") == 0

    later = now + dt.timedelta(minutes=31)
    assert tasks.expire_lapsed(later) == 1
    assert tasks.expire_lapsed(later) == 0  # idempotent
    db.session.refresh(appointment)
    assert appointment.status == AppointmentStatus.EXPIRED
    again = operations.hold(office, sel, TUESDAY_10, later)  # the time is free again
    assert again.status == AppointmentStatus.HELD


def test_opt_in_sends_the_confirmation_with_calendar(smtp, app_ctx, now):
    office = create_office(double_opt_in=True)
    db.session.commit()
    appointment = book(office, now)
    mark_sent()  # the citizen opens the link in the "please confirm" mail
    operations.opt_in(appointment, now + dt.timedelta(minutes=5))
    db.session.commit()
    assert kinds() == ["pending", "confirmed"]
    tasks.send_outbox(now + dt.timedelta(minutes=5))
    confirmed = smtp.inbox.messages[-1]
    assert "text/calendar" in [p.get_content_type() for p in confirmed.walk()]


def test_mail_uses_the_stored_locale_not_the_request(client, smtp, mail_office, now):
    appointment = book(mail_office, now, locale="en")
    tasks.send_outbox(now)
    with client.application.test_request_context("/", headers={"Accept-Language": "de"}):
        operations.cancel(appointment, now, by="office")
        db.session.commit()
    tasks.send_outbox(now)
    confirmed, cancelled = smtp.inbox.messages
    assert confirmed["Content-Language"] == "en"
    assert confirmed["Subject"] == "Your appointment on Tuesday, January 13, 2026 is booked"
    # (a folded header keeps the folding space in Python's parser: strip it)
    assert cancelled["Subject"].strip().startswith("The office has cancelled your appointment")
    html = cancelled.get_body(("html",)).get_content()
    assert '<html lang="en" dir="ltr">' in html


def test_rebook_mail_names_old_and_new_time(smtp, mail_office, now):
    appointment = book(mail_office, now, locale="en")
    tasks.send_outbox(now)  # the confirmation of 10:00 went out
    operations.rebook(appointment, TUESDAY_10 + dt.timedelta(hours=1), now)
    db.session.commit()
    tasks.send_outbox(now)
    rebooked = smtp.inbox.messages[-1]
    text = rebooked.get_body(("plain",)).get_content()
    assert "Previously: Tuesday, January 13, 2026, 10:00" in text
    assert "Now: Tuesday, January 13, 2026, 11:00" in text


def test_flask_scheduler_once_runs_every_job_and_beats(app_ctx, mail_office, now):
    book(mail_office, now)
    db.session.commit()
    result = app_ctx.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(sa.select(SchedulerHeartbeat.name)))
    assert {"send_outbox", "queue_reminders", "expire_lapsed", "purge_sent_mail"} <= names
    assert scheduler.last_heartbeat() == now
    assert kinds() == ["confirmed"]  # MAIL_SUPPRESS_SEND in tests: marked sent, not delivered
    assert db.session.scalar(sa.select(OutboxMessage.status)) == "sent"


def test_a_failing_job_is_logged_and_the_next_runs(app_ctx):
    def broken(now):
        raise RuntimeError("boom")

    assert scheduler.run_job(app_ctx, scheduler.Job("broken", broken, 1)) is False
    assert scheduler.run_job(app_ctx, scheduler.Job("fine", lambda now: None, 1)) is True


def test_scheduler_does_not_start_outside_the_development_server(app_ctx):
    app_ctx.config["SCHEDULER_ENABLED"] = True
    try:
        scheduler.start_in_dev_server(app_ctx)
        assert "terminvergabe.scheduler" not in app_ctx.extensions
    finally:
        app_ctx.config["SCHEDULER_ENABLED"] = False


def test_background_scheduler_has_every_job(app_ctx):
    background = scheduler.build(app_ctx)
    assert {job.id for job in background.get_jobs()} >= {
        "send_outbox",
        "queue_reminders",
        "expire_lapsed",
    }


def test_purge_keeps_unsent_mail(smtp, mail_office, now):
    smtp.stop()
    book(mail_office, now)
    sender.send_due(lambda: now)
    assert tasks.purge_sent(now + dt.timedelta(days=365)) == 0
    smtp.start()
    tasks.send_outbox(now + dt.timedelta(hours=1))
    assert tasks.purge_sent(now + dt.timedelta(days=31)) == 1


def test_jobs_registered_after_the_dev_scheduler_started_join_it(app_ctx):
    """Packages initialised after notify (admin's retention job) still run in the dev server."""
    background = scheduler.build(app_ctx)
    background.start(paused=True)
    app_ctx.extensions[scheduler.RUNNING] = background
    try:
        scheduler.register_job(app_ctx, "later", lambda now: None, 60)
        assert "later" in {job.id for job in background.get_jobs()}
    finally:
        del app_ctx.extensions[scheduler.RUNNING]
        app_ctx.extensions[scheduler.EXTENSION].pop("later")
        background.shutdown(wait=False)


def test_a_queued_reminder_is_withdrawn_when_the_appointment_is_cancelled(
    app_ctx, mail_office, now
):
    appointment = book(mail_office, now - dt.timedelta(days=3))
    day_before = TUESDAY_10 - dt.timedelta(hours=23)
    mark_sent()  # the confirmation went out days ago
    assert tasks.queue_reminders(day_before) == 1
    operations.cancel(appointment, day_before, by="office")
    db.session.commit()
    assert kinds() == ["confirmed", "cancelled"]
    assert tasks.queue_reminders(day_before) == 0
