"""The rendered mails, compared with checked-in files in tests/notify/snapshots/.

After an intended change to a template or a translation, regenerate them and review the diff:
    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/notify/test_snapshots.py
"""

import datetime as dt
import os
from pathlib import Path

import pytest

from terminvergabe.booking import operations
from terminvergabe.db import db
from terminvergabe.notify import ical, mails
from terminvergabe.notify.payload import snapshot

from .conftest import book

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"

CASES = {
    # name: (kind, extra payload)
    "pending": ("pending", {}),
    "confirmed": ("confirmed", {}),
    "reminder": ("reminder", {}),
    "rebooked": ("rebooked", {"previous_start_at": "2026-01-13T08:00:00+00:00"}),
    "cancelled_citizen": ("cancelled", {"by": "citizen"}),
    "cancelled_office": ("cancelled", {"by": "office", "reason": "Personalversammlung"}),
}


def fixed_payload(office, now, locale, kind, extra):
    """A booking with fixed codes and tokens, so that the rendering is the same every run."""
    appointment = book(office, now, locale=locale)
    appointment.booking_code = "ACDE3479"
    appointment.manage_token = "M" * 32
    appointment.checkin_token = "C" * 24
    if kind == "pending":
        appointment.confirmed_at = None
        appointment.hold_expires_at = now + dt.timedelta(minutes=60)
    if kind == "cancelled":
        operations.cancel(appointment, now, by=extra["by"])
    db.session.flush()
    return snapshot(appointment, now, **extra)


def check(name: str, content: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(content, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot written: {path.name}; check it in")
    assert content == path.read_text(encoding="utf-8"), f"{name} differs; see module docstring"


@pytest.mark.parametrize("locale", ["de", "en", "ar"])
@pytest.mark.parametrize("case", list(CASES))
def test_mail_snapshot(app_ctx, mail_office, now, case, locale, monkeypatch):
    # The app lives for the whole session: the address must not leak into later tests.
    monkeypatch.setitem(app_ctx.config, "BASE_URL", "https://termine.example.de")
    kind, extra = CASES[case]
    payload = fixed_payload(mail_office, now, locale, kind, extra)
    qr_cid = "qr@termine.example.de" if mails.has_qr(kind) else None
    subject, text, html = mails.render(kind, payload, qr_cid)
    check(f"{case}.{locale}.txt", f"Subject: {subject}\n\n{text}\n")
    check(f"{case}.{locale}.html", html + "\n")
    calendar = mails.calendar_file(kind, payload)
    if calendar is not None:
        check(f"{case}.{locale}.ics", calendar[1].decode().replace("\r\n", "\n"))


def test_ics_text_follows_the_locale(app_ctx, mail_office, now):
    payload = fixed_payload(mail_office, now, "en", "confirmed", {})
    assert b"Booking code: ACDE-3479" in ical.request(payload).replace(b"\r\n ", b"")
