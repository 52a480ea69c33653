"""Configuration: defaults, then the instance file, then TERMINVERGABE_* variables."""

import json
import os

DEFAULTS = {
    "SECRET_KEY": None,  # filled from the instance folder when not configured
    "SQLALCHEMY_DATABASE_URI": None,  # default: SQLite in the instance folder
    # pre_ping: a connection the database dropped (restart, failover) is replaced, not used.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "de",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
    "LANGUAGES": ["de", "en", "tr", "ar", "uk"],
    "BASE_URL": "http://127.0.0.1:5000",
    # Public address in QR codes of tickets and device links (counter/links.py); empty: BASE_URL
    # when configured, else the request's host (development).
    "PUBLIC_BASE_URL": "",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 25,
    "MAIL_DEFAULT_SENDER": "terminvergabe@localhost",
    "SCHEDULER_ENABLED": False,
}

# Environment names that differ from the Flask/extension key they set.
ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}

PREFIX = "TERMINVERGABE_"


def _parse(value: str):
    """Environment values are JSON where they parse as JSON (numbers, booleans, lists)."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def from_environment(environ=os.environ) -> dict:
    settings = {}
    for name, value in environ.items():
        if name.startswith(PREFIX):
            key = name[len(PREFIX) :]
            settings[ALIASES.get(key, key)] = _parse(value)
    return settings
