"""The sender job: claimed outbox messages go out over Flask-Mail's SMTP connection.

International addresses: where the server offers SMTPUTF8 (RFC 6531) an address that is not
ASCII is sent as it is, headers in UTF-8; otherwise the domain goes in its IDNA form
(`müller.example` -> `xn--mller-kva.example`), and a local part that is not ASCII cannot be
sent at all: that message fails at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable

import flask_mail
import idna
from flask import current_app

from terminvergabe import metrics, time
from terminvergabe.notify import failures, mails, outbox

log = logging.getLogger(__name__)

mail = flask_mail.Mail()


def breaks_connection(error: Exception) -> bool:
    """After these the connection is unusable: stop the batch and give the rest back. (An SMTP
    answer refusing one message is an OSError too, but the connection goes on.)"""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


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


def envelope_address(address: str, smtputf8: bool) -> str:
    """The recipient as this server can take it (see the module docstring)."""
    local, _, domain = address.rpartition("@")
    if smtputf8 or address.isascii():
        return address
    if not local.isascii():
        raise failures.Undeliverable("non-ASCII local part and the server has no SMTPUTF8")
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError as error:
        raise failures.Undeliverable("the domain is not a valid international name") from error


def send_due(clock: Callable[[], dt.datetime] = time.now) -> outbox.SendReport:
    """Send what is due. Never raises for mail trouble: failures are recorded for a retry."""
    report = outbox.SendReport()
    claims = outbox.claim_due(clock())
    if not claims:
        return report
    try:
        connection = connect().__enter__()
    except Exception as error:  # noqa: BLE001  (any failure to connect is a retry)
        log.warning("mail server unreachable: %s", failures.describe(error))
        for claim in claims:
            _record_failure(claim, error, clock(), report, permanent=False)
        return report
    try:
        _send_batch(connection, claims, clock, report)
    finally:
        _close(connection)
    return report


def _send_batch(connection, claims, clock, report) -> None:
    for index, claim in enumerate(claims):
        try:
            _send_one(connection.host, claim)
        except Exception as error:  # noqa: BLE001  (refused, unrenderable, or connection lost)
            log.warning("outbox message %s not sent: %s", claim.id, failures.describe(error))
            _record_failure(claim, error, clock(), report, failures.is_permanent(error))
            if breaks_connection(error):
                outbox.release(claims[index + 1 :])
                return
        else:
            outbox.mark_sent(claim, clock())
            metrics.MAILS.labels(outcome="sent").inc()
            report.sent += 1


def _send_one(host, claim) -> None:
    """Compose and hand over one message; `host` is None when sending is suppressed
    (MAIL_SUPPRESS_SEND): composed, counted, not sent."""
    smtputf8 = False
    if host is not None and not claim.recipient.isascii():
        host.ehlo_or_helo_if_needed()
        smtputf8 = host.has_extn("smtputf8")
    to = envelope_address(claim.recipient, smtputf8)
    email = mails.compose(claim.kind, claim.payload, claim.message_id, sender_address(), to)
    data = email.as_bytes(policy=email.policy.clone(utf8=smtputf8))
    if host is not None:
        options = ["SMTPUTF8", "BODY=8BITMIME"] if smtputf8 else []
        host.sendmail(sender_address(), [to], data, mail_options=options)


def _record_failure(claim, error, now, report, permanent: bool) -> None:
    report.errors.append(failures.describe(error))
    outbox.mark_failed(claim, error, now, permanent)
    if permanent:
        metrics.MAILS.labels(outcome="failed").inc()
        report.failed += 1
    else:
        metrics.MAILS.labels(outcome="retried").inc()
        report.retried += 1


def _close(connection) -> None:
    try:
        connection.__exit__(None, None, None)
    except Exception as error:  # noqa: BLE001  (QUIT on a broken connection)
        log.info("closing the mail connection failed: %s", failures.describe(error))
