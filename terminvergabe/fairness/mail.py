"""Waitlist mails, rendered in the citizen's stored locale and handed to the notify outbox
(`outbox.enqueue_text`: a waitlist registration has no appointment) in the same transaction as
the change that causes them. Each is also announced on `waitlist_mail`.
"""

from __future__ import annotations

from blinker import Namespace
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from terminvergabe.notify import outbox
from terminvergabe.time import now as clock

_signals = Namespace()
# kwargs: to, subject, text, kind, locale, link
waitlist_mail = _signals.signal("waitlist-mail")


def _subject(kind: str) -> str:
    return {
        "confirm": _("Please confirm your place on the waitlist"),
        "offer": _("An appointment has become free for you"),
        "booked": _("Your appointment is booked"),
    }[kind]


def send(kind: str, to: str, locale: str, link: str, **context) -> None:
    with force_locale(locale):
        subject = _subject(kind)
        text = render_template(f"waitlist/mail/{kind}.txt", link=link, **context)
    waitlist_mail.send(
        current_app._get_current_object(),
        to=to,
        subject=subject,
        text=text,
        kind=kind,
        locale=locale,
        link=link,
    )
    outbox.enqueue_text(
        to=to, subject=subject, text=text, locale=locale, kind=f"waitlist_{kind}", now=clock()
    )
