"""A second factor for local accounts: time-based one-time codes (RFC 6238, pyotp), as any
authenticator app makes them (30-second steps, six digits).

A code is accepted for the step before, the current and the next step (clock drift of the
phone), and only for a step after the last one accepted: a code seen over a shoulder or in a
proxy log cannot be used again. Flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app

from terminvergabe import audit
from terminvergabe.booking.models import StaffMember
from terminvergabe.db import db

ISSUER = "terminvergabe"
WINDOW = 1  # steps either side of the current one


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, staff: StaffMember) -> str:
    issuer = staff.municipality.name if staff.municipality is not None else ISSUER
    return pyotp.TOTP(secret).provisioning_uri(name=staff.login or staff.name, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (with the same library as the tickets')."""
    code = qrcode.QRCode(border=4, box_size=14)  # SVG units: about 1.4 mm a module
    code.add_data(uri)
    code.make(fit=True)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def grouped(secret: str) -> str:
    """The secret in groups of four, to type it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, now: dt.datetime, after: int | None) -> int | None:
    """The time step `code` is right for (within the window and after `after`), or None."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify(staff: StaffMember, code: str, now: dt.datetime) -> bool:
    """Whether `code` is the member's next valid code; if so it is used up."""
    if not staff.totp_secret:
        return False
    step = matching_step(staff.totp_secret, code, now, staff.totp_last_step)
    if step is None:
        return False
    staff.totp_last_step = step
    db.session.flush()
    return True


def enrol(staff: StaffMember, secret: str, code: str, now: dt.datetime) -> bool:
    """Make `secret` the member's second factor when `code` proves their app has it."""
    step = matching_step(secret, code, now, None)
    if step is None:
        return False
    staff.totp_secret = secret
    staff.totp_last_step = step
    db.session.flush()
    audit.record(
        staff,
        "staff_change",
        municipality_id=staff.municipality_id,
        subject=staff.name,
        totp=audit.CHANGED,
    )
    return True


def reset(staff: StaffMember, actor) -> None:
    """Remove the second factor (which ends the member's sessions: see session_fingerprint)."""
    staff.totp_secret = None
    staff.totp_last_step = None
    db.session.flush()
    audit.record(
        actor,
        "staff_change",
        municipality_id=staff.municipality_id,
        subject=staff.name,
        totp=audit.CHANGED,
    )


def required(staff: StaffMember) -> bool:
    """Whether a local account must use a second factor (a setting, for all or by municipality).
    Accounts of the city's identity provider get theirs from the provider."""
    if staff.identity_source != "local":
        return False
    if current_app.config["STAFF_REQUIRE_TOTP"]:
        return True
    slugs = current_app.config["STAFF_REQUIRE_TOTP_MUNICIPALITIES"]
    return staff.municipality is not None and staff.municipality.slug in slugs
