"""The sender job: claimed outbox messages go out through Flask-Mail's SMTP connection."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

import flask_mail
from flask import current_app

from terminvergabe import time
from terminvergabe.notify import mails, outbox

log = logging.getLogger(__name__)

mail = flask_mail.Mail()


def breaks_connection(error: Exception) -> bool:
    """After these the connection is unusable: stop the batch and give the rest back. (An SMTP
    answer refusing one message is an OSError too, but the connection goes on.)"""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


class PreparedMessage(flask_mail.Message):
    """A Flask-Mail message whose MIME structure we built ourselves (related HTML + inline QR
    code, and a text/calendar attachment with its METHOD), which Flask-Mail cannot express."""

    def __init__(self, email: EmailMessage, sender: str, recipient: str):
        super().__init__(subject=email["Subject"], recipients=[recipient], sender=sender)
        self.email = email

    def as_bytes(self) -> bytes:
        return self.email.as_bytes()

    def as_string(self) -> str:
        return self.email.as_string()

    def has_bad_headers(self) -> bool:
        return False  # the email package refuses header injection itself


class TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout, so a hanging server cannot stall the job."""

    def configure_host(self):
        state, timeout = self.mail, current_app.config.get("MAIL_TIMEOUT", 30)
        smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = smtp_class(state.server, state.port, timeout=timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


def connect() -> TimedConnection:
    """A connection from the configuration as it is now (tests point it at their server)."""
    state = mail.init_mail(current_app.config, current_app.debug, current_app.testing)
    return TimedConnection(state)


def sender_address() -> str:
    return current_app.config["MAIL_DEFAULT_SENDER"]


def send_due(clock: Callable[[], dt.datetime] = time.now) -> outbox.SendReport:
    """Send what is due. Never raises for mail trouble: failures are recorded for a retry."""
    report = outbox.SendReport()
    claims = outbox.claim_due(clock())
    if not claims:
        return report
    try:
        connection = connect().__enter__()
    except Exception as error:  # noqa: BLE001  (any failure to connect is a retry)
        log.warning("mail server unreachable: %s", error)
        for claim in claims:
            _record_failure(claim, error, clock(), report)
        return report
    try:
        _send_batch(connection, claims, clock, report)
    finally:
        _close(connection)
    return report


def _send_batch(connection, claims, clock, report) -> None:
    for index, claim in enumerate(claims):
        try:
            email = mails.compose(claim.kind, claim.payload, claim.message_id, sender_address())
            connection.send(PreparedMessage(email, sender_address(), claim.recipient))
        except Exception as error:  # noqa: BLE001  (refused, unrenderable, or connection lost)
            log.warning("outbox message %s not sent: %s", claim.id, error)
            _record_failure(claim, error, clock(), report)
            if breaks_connection(error):
                outbox.release(claims[index + 1 :])
                return
        else:
            outbox.mark_sent(claim, clock())
            report.sent += 1


def _record_failure(claim, error, now, report) -> None:
    report.errors.append(f"{type(error).__name__}: {error}")
    if outbox.mark_failed(claim, error, now):
        report.failed += 1
    else:
        report.retried += 1


def _close(connection) -> None:
    try:
        connection.__exit__(None, None, None)
    except Exception as error:  # noqa: BLE001  (QUIT on a broken connection)
        log.info("closing the mail connection failed: %s", error)
