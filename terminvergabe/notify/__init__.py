"""Notifications: the mail outbox, iCalendar files, check-in QR codes, reminders and the
scheduler that runs the background jobs. Public helpers for other packages:

- qr.checkin_token_from_scan(text) -> check-in token or None (front desk, kiosk)
- scheduler.register_job(app, name, func, seconds) (retention, waitlist offers ...)
- scheduler.last_heartbeat() (health check)
- lease.current_holder() (which scheduler runs the jobs)
"""

from flask import Flask

NOTIFY_DEFAULTS = {
    "MAIL_TIMEOUT": 30,  # seconds per SMTP operation
    "MAIL_RETRY_BASE_SECONDS": 30,  # first retry after this, then doubling ...
    "MAIL_RETRY_MAX_SECONDS": 3600,  # ... up to this
    "MAIL_KEEP_SENT_DAYS": 30,  # sent mails (personal data) are deleted after this
    "REMINDER_LEAD_HOURS": 24,
    "OUTBOX_INTERVAL_SECONDS": 5,
    "REMINDER_INTERVAL_SECONDS": 300,
    "EXPIRY_INTERVAL_SECONDS": 60,
    # Several schedulers (one per host): the active one renews its lease this often, and a
    # standby takes over a lease not renewed for this long (notify/lease.py).
    "SCHEDULER_RENEW_SECONDS": 5,
    "SCHEDULER_LEASE_SECONDS": 30,
}


def init_app(app: Flask) -> None:
    from terminvergabe.notify import cli, events, format, models, scheduler, sender, views  # noqa: F401

    for key, value in NOTIFY_DEFAULTS.items():
        app.config.setdefault(key, value)
    sender.mail.init_app(app)
    app.register_blueprint(views.bp)
    app.jinja_env.globals["repeated_hour_note"] = format.repeated_hour_note
    events.connect()
    scheduler.register_notify_jobs(app)
    scheduler.init_cli(app)
    cli.init_app(app)
    scheduler.start_in_dev_server(app)
