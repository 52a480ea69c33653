"""A real SMTP server (aiosmtpd) on 127.0.0.1, and helpers to book appointments."""

import datetime as dt
import email
import email.policy
import socket
import threading

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from terminvergabe.booking import operations
from terminvergabe.db import db
from tests.factories import create_office

TUESDAY_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # winter: 10:00 in Berlin (CET)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the server received, parsed with the email package."""

    def __init__(self):
        self.lock = threading.Lock()
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.raw.append(envelope.content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            raw = list(self.raw)
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raw]


class SmtpServer:
    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None
        self.smtputf8 = False  # aiosmtpd offers SMTPUTF8 (RFC 6531) only when asked to

    def start(self):
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app_ctx):
    server = SmtpServer(app_ctx)
    saved = {k: app_ctx.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_SUPPRESS_SEND")}
    app_ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False)
    app_ctx.config["MAIL_TIMEOUT"] = 5
    server.start()
    yield server
    server.stop()
    app_ctx.config.update(saved)


def selection(office, *pairs):
    by_name = {s.name: s.id for s in office.services}
    return {by_name[name]: qty for name, qty in pairs}


@pytest.fixture
def mail_office(app_ctx):
    """The test office with notes on what to bring, committed."""
    office = create_office(phone="0221 123456")
    for service in office.services:
        if service.name == "Reisepass beantragen":
            service.what_to_bring = "Biometrisches Passfoto, alter Reisepass"
        if service.name == "Anmeldung einer Wohnung":
            service.what_to_bring = "Wohnungsgeberbestätigung"
    db.session.commit()
    return office


def mark_sent():
    """Every queued mail as if the sender had sent it: the next change finds none of them
    still queued (which it would make obsolete)."""
    from terminvergabe.notify.models import OutboxMessage, OutboxStatus

    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SENT)
    )
    db.session.commit()


def book(office, now, start_at=TUESDAY_10, locale="de", email_address="erika@example.org"):
    """Hold and confirm, committed: what the booking page does."""
    sel = selection(office, ("Reisepass beantragen", 2), ("Anmeldung einer Wohnung", 1))
    appointment = operations.hold(office, sel, start_at, now, locale=locale)
    operations.confirm(appointment, "Erika Mustermann", email_address, "", now)
    db.session.commit()
    return appointment
