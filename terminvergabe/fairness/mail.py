"""Waitlist mails, rendered in the citizen's stored locale and handed to the notify outbox in the
same transaction as the change that causes them.

Interface expected from notify (its `enqueue` is bound to an appointment, and a waitlist
registration has none): `terminvergabe.notify.outbox.enqueue_text(to=..., subject=...,
text=..., locale=..., kind=..., now=...)` writing a pre-rendered outbox row. Until that exists,
the mail is only announced on `waitlist_mail` (tests and other integrations listen there) and
logged.
"""

from __future__ import annotations

import importlib

from blinker import Namespace
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

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


def _outbox():
    try:
        module = importlib.import_module("terminvergabe.notify.outbox")
    except ImportError:
        return None
    return getattr(module, "enqueue_text", None)


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
    enqueue = _outbox()
    if enqueue is not None:
        enqueue(
            to=to,
            subject=subject,
            text=text,
            locale=locale,
            kind=f"waitlist_{kind}",
            now=clock(),
        )
    else:
        current_app.logger.info("waitlist mail %s to be sent (no outbox yet)", kind)
