"""Render a queued mail from its snapshot, in the appointment's locale: text and HTML parts,
the check-in QR code inline, and the .ics as a text/calendar attachment with its METHOD."""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from terminvergabe.i18n import RTL_LANGUAGES
from terminvergabe.notify import ical, links, qr
from terminvergabe.notify.format import date_text, service_line, time_text, when_text
from terminvergabe.notify.models import MailKind
from terminvergabe.notify.payload import parse_time


def template_name(kind: str, payload: dict) -> str:
    if kind == MailKind.CANCELLED:
        return f"cancelled_{payload.get('by', 'citizen')}"
    return kind


def subject(kind: str, payload: dict) -> str:
    date = date_text(payload)
    subjects = {
        "pending": lambda: _("Please confirm your appointment on %(date)s", date=date),
        "confirmed": lambda: _("Your appointment on %(date)s is booked", date=date),
        "reminder": lambda: _(
            "Reminder: your appointment on %(date)s at %(time)s",
            date=date,
            time=time_text(payload),
        ),
        "rebooked": lambda: _("Your appointment has been moved to %(date)s", date=date),
        "cancelled_citizen": lambda: _("Your appointment on %(date)s is cancelled", date=date),
        "cancelled_office": lambda: _(
            "The office has cancelled your appointment on %(date)s", date=date
        ),
    }
    return subjects[template_name(kind, payload)]()


def has_qr(kind: str, payload: dict | None = None) -> bool:
    """The check-in QR code, for a visit in person that still takes place."""
    in_person = payload is None or ical.mode(payload) == "in_person"
    return in_person and kind in (MailKind.CONFIRMED, MailKind.REMINDER, MailKind.REBOOKED)


def calendar_file(kind: str, payload: dict) -> tuple[str, bytes] | None:
    """(METHOD, .ics) for the mail, or None: a booking still awaiting opt-in, or one cancelled
    before it was ever confirmed, has no calendar entry to add or remove."""
    if kind in (MailKind.CONFIRMED, MailKind.REMINDER, MailKind.REBOOKED):
        return "REQUEST", ical.request(payload)
    if kind == MailKind.CANCELLED and payload["was_confirmed"]:
        return "CANCEL", ical.cancel(payload)
    return None


def direction(locale: str) -> dict:
    """`dir` for the root element, and the sides where lines start and end: mail clients
    ignore much of CSS, so alignment and padding name the physical side."""
    if locale in RTL_LANGUAGES:
        return {"dir": "rtl", "start": "right", "end": "left"}
    return {"dir": "ltr", "start": "left", "end": "right"}


def context(kind: str, payload: dict, qr_cid: str | None) -> dict:
    office = payload["office"]
    return {
        "kind": kind,
        "p": payload,
        "locale": payload["locale"],
        **direction(payload["locale"]),
        "office": office,
        "city_line": f"{office['postcode']} {office['city']}".strip(),
        "citizen_name": payload["citizen"]["name"],
        "mode": ical.mode(payload),
        "phone": payload["citizen"].get("phone", ""),
        "video_url": ical.video_url(payload),
        "services": [service_line(item) for item in payload["items"]],
        # What to bring matters only for a visit that still takes place.
        "bring": []
        if kind == MailKind.CANCELLED
        else [item for item in payload["items"] if item["what_to_bring"]],
        "when": when_text(payload),
        "date": date_text(payload),
        "time": time_text(payload),
        "previous_when": when_text(payload, "previous_start_at")
        if payload.get("previous_start_at")
        else None,
        "opt_in_until": _opt_in_until(payload),
        "code": links.display_code(payload["booking_code"]),
        "manage_url": links.manage_url(payload["manage_token"], payload["locale"]),
        "opt_in_url": links.opt_in_url(payload["manage_token"], payload["locale"]),
        "book_again_url": links.book_again_url(office.get("slug"), payload["locale"]),
        "reason": payload.get("reason") or "",
        "qr_cid": qr_cid,
        "has_calendar": calendar_file(kind, payload) is not None,
    }


def _opt_in_until(payload: dict) -> str | None:
    if not payload.get("opt_in_until"):
        return None
    return when_text(payload, "opt_in_until")


def render(kind: str, payload: dict, qr_cid: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) in the appointment's locale."""
    with force_locale(payload["locale"]):
        values = context(kind, payload, qr_cid)
        name = template_name(kind, payload)
        return (
            subject(kind, payload),
            render_template(f"mail/{name}.txt", **values),
            render_template(f"mail/{name}.html", **values),
        )


# 7-bit safe for any SMTP server: non-ASCII headers as encoded words, bodies quoted-printable.
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit")


def compose(
    kind: str, payload: dict, message_id: str, sender: str, to: str | None = None
) -> EmailMessage:
    """The mail as it goes out; `to` is the recipient's address as the server takes it
    (sender.envelope_address), the citizen's own address by default."""
    if payload.get("prerendered"):
        return compose_prerendered(payload, message_id, sender, to)
    domain = message_id.rsplit("@", 1)[-1].rstrip(">")
    qr_cid = make_msgid("qr", domain=domain) if has_qr(kind, payload) else None
    title, text, html = render(kind, payload, qr_cid and qr_cid[1:-1])
    message = EmailMessage(policy=MAIL_POLICY)
    _headers(message, title, payload, message_id, sender, to)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if qr_cid:
        image = qr.png(qr.checkin_credential(payload["checkin_token"]))
        message.get_payload()[1].add_related(
            image, "image", "png", cid=qr_cid, disposition="inline", filename="checkin-qr.png"
        )
    _attach_calendar(message, kind, payload)
    # Set last: turning the message into a multipart moves Content-* headers to the first part.
    message["Content-Language"] = payload["locale"]
    return message


def compose_prerendered(
    payload: dict, message_id: str, sender: str, to: str | None = None
) -> EmailMessage:
    """A mail another package rendered (outbox.enqueue_text): text, optionally HTML."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = payload["subject"]
    message["From"] = sender
    message["To"] = address("", to or payload["to"])
    message["Date"] = format_datetime(parse_time(payload["created_at"]))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    message["Content-Language"] = payload["locale"]
    return message


def address(name: str, addr_spec: str) -> Address:
    """A mailbox header value that takes an international address (RFC 6532) too, which
    formataddr and Address(addr_spec=...) refuse."""
    local, _, domain = addr_spec.rpartition("@")
    return Address(name, username=local, domain=domain)


def _headers(message, title, payload, message_id, sender, to) -> None:
    office, citizen = payload["office"], payload["citizen"]
    message["Subject"] = title
    message["From"] = address(office["name"], sender)
    message["To"] = address(citizen["name"], to or citizen["email"])
    if office["email"]:
        message["Reply-To"] = address(office["name"], office["email"])
    message["Date"] = format_datetime(parse_time(payload["created_at"]))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies


def _attach_calendar(message: EmailMessage, kind: str, payload: dict) -> None:
    calendar = calendar_file(kind, payload)
    if calendar is None:
        return
    method, data = calendar
    with force_locale(payload["locale"]):
        filename = _("appointment") + ".ics"
    message.add_attachment(
        data,
        maintype="text",
        subtype="calendar",
        params={"method": method, "charset": "utf-8"},
        filename=filename,
    )
