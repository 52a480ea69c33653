"""Rate limits that slow a bot to a person's pace: searching, holding, booking, the waitlist.

Decorators for the page and API routes (one bucket per purpose, shared between pages and API):

    @limits.search_limit        # free days and times
    @limits.hold_limit          # reserving a time (per IP)
    @limits.confirm_limit       # booking (per IP and per email address)
    @limits.waitlist_limit      # waitlist registration (per IP and per email address)

The numbers come from the configuration (FAIRNESS_LIMIT_*), in Flask-Limiter's notation
("60/minute", "10 per 10 minutes"). A refusal is a 429 with Retry-After, rendered as a
translated page or JSON error by terminvergabe.errors.
"""

from __future__ import annotations

import time

from flask import current_app, request
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.exceptions import TooManyRequests

from terminvergabe.fields import email_key
from terminvergabe.limiter import limiter

DEFAULTS = {
    # A person looks at a few days and times a minute; a bot polls far more.
    "FAIRNESS_LIMIT_SEARCH": "60/minute",
    "FAIRNESS_LIMIT_HOLD": "10 per 10 minutes",
    # Holds without a solved proof-of-work (JavaScript off, or a bot that skips it).
    "FAIRNESS_LIMIT_HOLD_WITHOUT_POW": "4 per 10 minutes",
    "FAIRNESS_LIMIT_CONFIRM": "10 per 10 minutes",
    "FAIRNESS_LIMIT_CONFIRM_EMAIL": "5/hour",
    "FAIRNESS_LIMIT_WAITLIST": "10/hour",
    "FAIRNESS_LIMIT_WAITLIST_EMAIL": "3/hour",
}

EMAIL_FIELDS = ("email", "citizen_email")


def _config(name: str):
    return lambda: current_app.config[name]


def request_email() -> str:
    """The email address a form or JSON body carries, normalised; "" when there is none."""
    for field in EMAIL_FIELDS:
        value = request.form.get(field)
        if value is None and request.is_json:
            body = request.get_json(silent=True)
            value = body.get(field) if isinstance(body, dict) else None
        if isinstance(value, str) and value.strip():
            return email_key(value)
    return ""


def _no_email() -> bool:
    return not request_email()


search_limit = limiter.shared_limit(_config("FAIRNESS_LIMIT_SEARCH"), scope="search")
hold_limit = limiter.shared_limit(_config("FAIRNESS_LIMIT_HOLD"), scope="hold", methods=["POST"])
_confirm_ip = limiter.shared_limit(
    _config("FAIRNESS_LIMIT_CONFIRM"), scope="confirm", methods=["POST"]
)
_confirm_email = limiter.shared_limit(
    _config("FAIRNESS_LIMIT_CONFIRM_EMAIL"),
    scope="confirm-email",
    key_func=request_email,
    exempt_when=_no_email,
    methods=["POST"],
)
_waitlist_ip = limiter.shared_limit(
    _config("FAIRNESS_LIMIT_WAITLIST"), scope="waitlist", methods=["POST"]
)
_waitlist_email = limiter.shared_limit(
    _config("FAIRNESS_LIMIT_WAITLIST_EMAIL"),
    scope="waitlist-email",
    key_func=request_email,
    exempt_when=_no_email,
    methods=["POST"],
)


def confirm_limit(view):
    return _confirm_ip(_confirm_email(view))


def waitlist_limit(view):
    return _waitlist_ip(_waitlist_email(view))


def hit(config_name: str, scope: str, key: str | None = None) -> None:
    """Count one request against a configured limit inside a view, where the decorators cannot
    see what decides (e.g. whether the office asks for proof-of-work); refuse with 429 and
    Retry-After when it is used up."""
    if not limiter.enabled:
        return
    item = parse(current_app.config[config_name])
    # The same namespace as the decorators' counts (RATELIMIT_KEY_PREFIX), e.g. in Redis.
    identifiers = (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), key or get_remote_address())
    strategy = limiter.limiter
    if strategy.hit(item, *identifiers, scope):
        return
    reset_at, _remaining = strategy.get_window_stats(item, *identifiers, scope)
    raise TooManyRequests(retry_after=max(1, int(reset_at - time.time()) + 1))
