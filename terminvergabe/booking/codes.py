"""Booking codes and secret tokens: drawn, written and looked up.

A booking code is short and read aloud at the front desk; the manage and check-in tokens are
secrets in links, compared in constant time."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from terminvergabe.booking.models import Appointment, Office
from terminvergabe.db import db, find_by_secret

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a booking code is read aloud and typed at the front desk.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 8


def new_booking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_booking_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_booking_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_manage_token() -> str:
    return secrets.token_urlsafe(24)


def new_checkin_token() -> str:
    return secrets.token_urlsafe(18)


def find_by_manage_token(token: str) -> Appointment | None:
    return find_by_secret(Appointment.manage_token, token)


def find_by_checkin_token(token: str) -> Appointment | None:
    return find_by_secret(Appointment.checkin_token, token)


def find_by_booking_code(office: Office, text: str) -> Appointment | None:
    code = normalize_booking_code(text)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(
        sa.select(Appointment).where(
            Appointment.office_id == office.id, Appointment.booking_code == code
        )
    )
