"""Proof-of-work before a hold, with ALTCHA: self-hosted, no third party, no cookies.

The server hands out signed challenges (HMAC with a key from the configuration); the browser's
widget spends a second or two finding the solution; the server checks the signature, the
solution and the expiry, and records the challenge as spent so that one solution buys one hold.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import secrets

import altcha
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from terminvergabe.db import db
from terminvergabe.errors import DomainError
from terminvergabe.fairness.models import SpentChallenge

DEFAULTS = {
    "ALTCHA_HMAC_KEY": None,  # default: derived from SECRET_KEY
    "ALTCHA_ALGORITHM": "PBKDF2/SHA-256",
    # Work per attempt (PBKDF2 iterations) and how many attempts the solution lies after:
    # about a second in a phone's browser, the same for a bot per hold.
    "ALTCHA_COST": 1000,
    "ALTCHA_COUNTER_MIN": 2000,
    "ALTCHA_COUNTER_MAX": 6000,
    "ALTCHA_EXPIRES_SECONDS": 600,
    "ALTCHA_REQUIRED_DEFAULT": True,  # for offices without their own setting
}

FIELD = "altcha"
MAX_PAYLOAD_LENGTH = 8192


def _key(purpose: str) -> bytes:
    configured = current_app.config.get("ALTCHA_HMAC_KEY")
    base = (configured or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(base, f"altcha:{purpose}".encode(), hashlib.sha256).digest()


def wall_clock() -> dt.datetime:
    """Challenges expire by the real clock (the library checks it too), not by the booking
    clock that tests may freeze."""
    return dt.datetime.now(dt.UTC)


def create_challenge(now: dt.datetime | None = None) -> dict:
    """A new signed challenge as the widget expects it (JSON)."""
    now = now or wall_clock()
    config = current_app.config
    low, high = config["ALTCHA_COUNTER_MIN"], config["ALTCHA_COUNTER_MAX"]
    challenge = altcha.create_challenge(
        algorithm=config["ALTCHA_ALGORITHM"],
        cost=config["ALTCHA_COST"],
        counter=low + secrets.randbelow(max(1, high - low + 1)),
        expires_at=now + dt.timedelta(seconds=config["ALTCHA_EXPIRES_SECONDS"]),
        hmac_secret=_key("challenge"),
        hmac_key_secret=_key("derived-key"),
    )
    return challenge.to_dict()


def _refused(code: str, message: str) -> DomainError:
    return DomainError(code, message, status=400)


def verify_and_spend(payload: str, now: dt.datetime | None = None) -> None:
    """Accept one solution once; refuse forged, expired and replayed ones with a translated
    error. Spending is a database insert, so two requests with the same solution cannot both
    pass, also with several processes."""
    now = now or wall_clock()
    parsed = _parse(payload)
    expires_at = parsed.challenge.parameters.expires_at
    if not isinstance(expires_at, int) or expires_at <= int(now.timestamp()):
        raise _refused(
            "pow_expired",
            _("The security check has expired. Please reload the page and try again."),
        )
    result = altcha.verify_solution(parsed, _key("challenge"), hmac_key_secret=_key("derived-key"))
    if result.expired:
        raise _refused(
            "pow_expired",
            _("The security check has expired. Please reload the page and try again."),
        )
    if not result.verified:
        raise _forged()
    _spend(parsed.challenge.signature, dt.datetime.fromtimestamp(expires_at, dt.UTC))


def _parse(payload: str) -> altcha.Payload:
    if not payload or len(payload) > MAX_PAYLOAD_LENGTH:
        raise _forged()
    try:
        return altcha.Payload.from_base64(payload)
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise _forged() from None


def _forged() -> DomainError:
    return _refused(
        "pow_invalid",
        _("The security check could not be confirmed. Please reload the page and try again."),
    )


def _spend(signature: str, expires_at: dt.datetime) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(SpentChallenge(signature=signature, expires_at=expires_at))
            db.session.flush()
    except IntegrityError:
        raise _refused(
            "pow_replayed",
            _("This security check was already used. Please reload the page and try again."),
        ) from None


def forget_spent(now: dt.datetime | None = None) -> int:
    """Spent challenges past their expiry cannot be replayed anyway (the expiry refuses them)."""
    now = now or wall_clock()
    result = db.session.execute(sa.delete(SpentChallenge).where(SpentChallenge.expires_at <= now))
    return result.rowcount or 0
