"""The check-in QR code. It carries the appointment's check-in token, never the manage token:
a photo of someone's code lets nobody read or cancel their booking."""

from __future__ import annotations

import io
import re

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

# "TV1:" names the format (terminvergabe, version 1) so that a scanner typing into the
# front-desk field is told apart from a booking code typed by hand.
CREDENTIAL_PREFIX = "TV1:"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def checkin_credential(checkin_token: str) -> str:
    return f"{CREDENTIAL_PREFIX}{checkin_token}"


def checkin_token_from_scan(text: str) -> str | None:
    """The check-in token in what a scanner read, or None when it is not our credential.
    Pass the result to codes.find_by_checkin_token."""
    text = (text or "").strip()
    if text[: len(CREDENTIAL_PREFIX)].upper() != CREDENTIAL_PREFIX:
        return None
    token = text[len(CREDENTIAL_PREFIX) :]
    return token if _TOKEN.fullmatch(token) else None


def _code(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def png(data: str) -> bytes:
    buffer = io.BytesIO()
    _code(data).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(data: str) -> str:
    image = _code(data).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    return image.to_string(encoding="unicode")
