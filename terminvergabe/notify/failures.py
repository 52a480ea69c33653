"""What went wrong with a mail: retry it later or give it up, and how to say so without
personal data.

A mail server's answer often repeats the recipient ("550 5.1.1 <erika@...>: unknown user"),
and smtplib's exceptions carry the addresses themselves. What is stored in the outbox and
written to the log is the exception's name, the SMTP code and enhanced status code, and a fixed
reason: enough to act on, nothing that names the citizen.
"""

from __future__ import annotations

import re
import smtplib

# RFC 3463 enhanced status code at the start of a server's answer: "5.1.1".
_ENHANCED = re.compile(rb"^\s*([245]\.\d{1,3}\.\d{1,3})\b")

_REASONS = {
    smtplib.SMTPRecipientsRefused: "recipient refused",
    smtplib.SMTPSenderRefused: "sender refused",
    smtplib.SMTPDataError: "message refused",
    smtplib.SMTPAuthenticationError: "login refused",
    smtplib.SMTPHeloError: "greeting refused",
    smtplib.SMTPConnectError: "connection refused by the server",
}


class Undeliverable(Exception):  # noqa: N818  (a reason, not a programming error)
    """A message that can never be sent as it is (e.g. a non-ASCII local part to a server
    without SMTPUTF8): it fails at once, without retries."""


def is_permanent(error: Exception) -> bool:
    """Give up on this message now? A 5xx answer about it, or a message that cannot be composed
    or addressed, will not improve by retrying. Connection trouble, timeouts, 4xx answers and a
    refused sender (the installation's own address: fix the configuration, the mail waits) are
    retried. Errors while connecting are never the message's fault (see sender.send_due)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPServerDisconnected):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, smtplib.SMTPException) or not isinstance(error, OSError)


def describe(error: Exception) -> str:
    """A line for the outbox and the log: never an address or a name."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = sorted(error.recipients.values())
        codes = " ".join(_code(code, text) for code, text in answers)
        return f"{name}: {codes} recipient refused".replace("  ", " ")
    if isinstance(error, smtplib.SMTPResponseException):
        reason = next((r for k, r in _REASONS.items() if isinstance(error, k)), "server refused")
        return f"{name}: {_code(error.smtp_code, error.smtp_error)} {reason}"
    if isinstance(error, Undeliverable | smtplib.SMTPServerDisconnected):
        return f"{name}: {error}"
    if isinstance(error, OSError):
        return f"{name}: {error.strerror or 'connection failed'}"
    return f"{name}: the message could not be composed"


def _code(code: int, text: bytes | str) -> str:
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else (text or b"")
    enhanced = _ENHANCED.match(raw)
    return f"{code} {enhanced.group(1).decode()}" if enhanced else str(code)
