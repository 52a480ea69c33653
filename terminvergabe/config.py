"""Configuration: defaults, then the instance file, then TERMINVERGABE_* variables."""

import datetime as dt
import json
import os
from pathlib import Path

# The project tree: templates/, static/, migrations/ and translations/ lie beside the package.
ROOT = Path(__file__).resolve().parent.parent

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
    # Request limits (terminvergabe/request_guard.py): a larger body answers 413, a JSON body
    # nested deeper answers 400. No page or API request comes near them.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1000,
    "MAX_JSON_DEPTH": 8,
    # When the operator last checked the site's accessibility (BITV 2.0 asks the statement to
    # give the date it was prepared or last reviewed): ISO date, shown in the reader's language.
    "ACCESSIBILITY_STATEMENT_DATE": "2026-11-23",
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


def accessibility_statement_date(config) -> dt.date:
    """ACCESSIBILITY_STATEMENT_DATE as a date (a date object from instance/config.py, or an ISO
    text such as "2026-11-23")."""
    value = config["ACCESSIBILITY_STATEMENT_DATE"]
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(
            f"ACCESSIBILITY_STATEMENT_DATE must be a date like 2026-11-23, not {value!r}"
        ) from None


def from_environment(environ=os.environ) -> dict:
    settings = {}
    for name, value in environ.items():
        if name.startswith(PREFIX):
            key = name[len(PREFIX) :]
            settings[ALIASES.get(key, key)] = _parse(value)
    return settings
