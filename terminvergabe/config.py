"""Configuration: defaults, then the instance file, then TERMINVERGABE_* variables; checked at
start (`check`), so that a wrong setting stops the app with one line instead of failing later."""

import datetime as dt
import ipaddress
import json
import logging
import os
from pathlib import Path

import flask
from flask import Flask

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
    # Processes serving the app on this host; gunicorn.conf.py tells the app its worker count.
    "WORKERS": 1,
    # PostgreSQL connections per process: pool plus overflow (see README, connection budget).
    "DATABASE_POOL_SIZE": 5,
    "DATABASE_MAX_OVERFLOW": 2,
    "LOG_LEVEL": "INFO",
    # HTTP (terminvergabe/security.py)
    "FRAME_ANCESTORS": [],
    "TRUSTED_PROXY_HOPS": 0,
    "HSTS_MAX_AGE": 31536000,
    # /metrics: empty: open (restrict it at the proxy); else a bearer token and/or addresses.
    "METRICS_TOKEN": "",
    "METRICS_ALLOWED_ADDRESSES": [],
    # /healthz/scheduler: the newest heartbeat of any scheduler must be younger than this.
    "SCHEDULER_HEARTBEAT_MAX_AGE": 120,
    # Staff sign-in with the city's accounts (docs/identity.md). OIDC is on when the discovery
    # URL is set, LDAP when its URL is set; local accounts always work.
    "STAFF_OIDC_DISCOVERY_URL": "",
    "STAFF_OIDC_CLIENT_ID": "",
    "STAFF_OIDC_CLIENT_SECRET": "",
    "STAFF_OIDC_SCOPES": "openid profile email",
    "STAFF_OIDC_PROVIDER_NAME": "",  # on the button "Sign in with …"; empty: the issuer's host
    "STAFF_OIDC_GROUPS_CLAIM": "groups",
    # {"group": {"municipality": "slug", "office": "slug or *", "roles": ["clerk"]}, ...};
    # a group may also name a list of such grants. The same form for STAFF_LDAP_GROUPS.
    "STAFF_OIDC_GROUPS": {},
    "STAFF_LDAP_URL": "",  # ldap://host:389 or ldaps://host:636
    "STAFF_LDAP_START_TLS": False,
    "STAFF_LDAP_CA_FILE": "",  # CA certificates for LDAPS/StartTLS; empty: the system's
    "STAFF_LDAP_BIND_DN": "",  # the service account that searches; empty: direct bind
    "STAFF_LDAP_BIND_PASSWORD": "",
    "STAFF_LDAP_USER_BASE": "",
    "STAFF_LDAP_USER_FILTER": "(uid={login})",
    "STAFF_LDAP_USER_DN_TEMPLATE": "",  # direct bind: "uid={login},ou=people,dc=example,dc=org"
    "STAFF_LDAP_ID_ATTRIBUTE": "entryUUID",  # Active Directory: objectGUID
    "STAFF_LDAP_NAME_ATTRIBUTE": "cn",
    "STAFF_LDAP_GROUP_BASE": "",
    "STAFF_LDAP_GROUP_FILTER": "(member={dn})",
    "STAFF_LDAP_GROUP_NAME_ATTRIBUTE": "cn",
    "STAFF_LDAP_GROUPS": {},
    "STAFF_LDAP_TIMEOUT": 5,
    # A session of an OIDC or LDAP account is checked again after this many minutes: LDAP asks
    # the directory, OIDC signs in again at the provider (usually without a prompt).
    "STAFF_IDENTITY_RECHECK_MINUTES": 15,
    # Local accounts must use a second factor (TOTP): everywhere, or in the listed municipalities.
    "STAFF_REQUIRE_TOTP": False,
    "STAFF_REQUIRE_TOTP_MUNICIPALITIES": [],
}

# The values of booking.models.Role (a test keeps them equal): core cannot import booking.
STAFF_ROLE_NAMES = frozenset({"admin", "office_manager", "front_desk", "clerk"})

# Environment names that differ from the Flask/extension key they set.
ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}

PREFIX = "TERMINVERGABE_"

# TERMINVERGABE_* variables read by gunicorn.conf.py and the test suite, not by the app.
SERVER_VARIABLES = frozenset(
    {"BIND", "THREADS", "PAGE_THREADS", "TIMEOUT", "MAX_REQUESTS", "TEST_DATABASE_URL"}
)
# Settings that no longer do anything: no warning, as deployments may still set them.
RETIRED = frozenset({"HEALTH_REQUIRES_SCHEDULER"})

# Settings of Flask's extensions, read with their own defaults.
EXTENSION_PREFIXES = ("SQLALCHEMY_", "RATELIMIT_", "MAIL_", "BABEL_", "WTF_", "SESSION_")

# Settings the app reads with a default where they are used.
READ_WITH_DEFAULT = frozenset(
    {
        "AVAILABILITY_CACHE_SECONDS",
        "DAY_PAGE_CACHE_SECONDS",
        "EVENT_BROKER",
        "LIVE_RECONNECT_MS",
        "LIVE_STREAMS",
        "LOGIN_RATE_LIMIT",
        "OPERATOR_ADDRESS",
        "OPERATOR_EMAIL",
        "OPERATOR_NAME",
        "OPERATOR_PHONE",
        "RETENTION_DAYS",
        "RETENTION_INTERVAL_SECONDS",
        "CLOSE_DAY_INTERVAL_SECONDS",
        "FROZEN_NOW",
    }
)

log = logging.getLogger(__name__)


class ConfigurationError(SystemExit):
    """A setting the app cannot start with. A SystemExit with its message: the command (flask,
    gunicorn's worker, wsgi.py) ends with that one line, not a traceback."""

    def __init__(self, message: str):
        super().__init__(f"terminvergabe: configuration error: {message}")
        self.message = message


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
        raise ConfigurationError(
            f"ACCESSIBILITY_STATEMENT_DATE must be a date like 2026-11-23, not {value!r}"
        ) from None


def from_environment(environ=os.environ) -> dict:
    settings = {}
    for name, value in environ.items():
        if name.startswith(PREFIX):
            key = name[len(PREFIX) :]
            settings[ALIASES.get(key, key)] = _parse(value)
    return settings


class Config(flask.Config):
    """Flask's Config that remembers the settings packages and extensions declare with
    `setdefault`, so that the start-up check knows their names and types."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.declared: dict = {}

    def setdefault(self, key, default=None):
        self.declared.setdefault(key, default)
        return super().setdefault(key, default)


def check(app: Flask, environment: dict) -> None:
    """Refuse settings the app cannot run with; warn about TERMINVERGABE_* names it does not know.
    `environment` holds the settings taken from TERMINVERGABE_* variables."""
    config = app.config
    declared = _declared(app)
    for key in sorted(set(environment) - set(declared) - SERVER_VARIABLES - RETIRED):
        if not key.startswith(EXTENSION_PREFIXES):
            log.warning("unknown setting %s%s is ignored", PREFIX, key)
    for key, value in environment.items():
        _check_type(key, value, declared.get(key))
    _check_networks(config["METRICS_ALLOWED_ADDRESSES"])
    _check_identity(config)
    _check_shared_state(config)


def _declared(app: Flask) -> dict:
    """Every setting the app knows, with its default (None: any type)."""
    declared = dict.fromkeys(READ_WITH_DEFAULT | set(ALIASES.values()))
    declared.update(app.default_config)
    declared.update(DEFAULTS)
    declared.update(getattr(app.config, "declared", {}))
    return declared


def check_secret_key(value) -> None:
    """Before the instance folder's key fills an empty one: a key that is not text is refused
    (a number would even be replaced silently when it is 0)."""
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(
            f"SECRET_KEY must be text, not {type(value).__name__} "
            "(an all-digit TERMINVERGABE_SECRET_KEY is read as a number: use letters in it)"
        )


def _check_type(key: str, value, default) -> None:
    if default is None or value is None:
        return
    expected = type(default)
    if expected is dt.timedelta and isinstance(value, int | float) and not isinstance(value, bool):
        return  # Flask takes seconds for its durations
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
        raise ConfigurationError(
            f"{PREFIX}{key} must be {_TYPE_NAMES.get(expected, expected.__name__)}, "
            f"not {json.dumps(value)}"
        )


_TYPE_NAMES = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    list: 'a JSON list (["a", "b"])',
    dict: "a JSON object",
}


def _check_networks(networks) -> None:
    try:
        for network in networks:
            ipaddress.ip_network(network, strict=False)
    except (TypeError, ValueError):
        raise ConfigurationError(
            "METRICS_ALLOWED_ADDRESSES must list addresses or networks such as "
            f'["127.0.0.1", "10.0.0.0/8"], not {json.dumps(networks, default=str)}'
        ) from None


def _check_shared_state(config) -> None:
    """With several worker processes, state kept in one process is not seen by the others."""
    workers = config.get("WORKERS") or 1
    if not isinstance(workers, int) or workers <= 1:
        return
    limits_on = config.get("RATELIMIT_ENABLED", True)
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if limits_on and storage.startswith("memory://"):
        raise ConfigurationError(
            f"{workers} workers count rate limits each on their own with "
            "RATELIMIT_STORAGE_URI=memory://: set it to redis://HOST:6379/DB"
        )
    broker = config.get("EVENT_BROKER", "auto")
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if broker == "memory" or (broker == "auto" and not uri.startswith("postgresql")):
        raise ConfigurationError(
            f"{workers} workers with the in-process event broker: screens miss calls made in "
            "other workers; use PostgreSQL (EVENT_BROKER auto or postgresql) or one worker"
        )


def group_grants(mapping, name: str) -> dict[str, list[dict]]:
    """A group mapping setting as {group: [{"municipality", "office", "roles"}, ...]}, or a
    ConfigurationError that names what is wrong."""
    example = '{"group": {"municipality": "slug", "office": "*", "roles": ["clerk"]}}'
    if not isinstance(mapping, dict):
        raise ConfigurationError(f"{name} must be a JSON object like {example}")
    grants = {}
    for group, value in mapping.items():
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            roles = entry.get("roles") if isinstance(entry, dict) else None
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("municipality"), str)
                or not isinstance(entry.get("office", "*"), str)
                or not isinstance(roles, list)
                or not roles
                or not set(roles) <= STAFF_ROLE_NAMES
            ):
                raise ConfigurationError(
                    f"{name}: group {group!r} must map to grants like {example}; roles are "
                    + ", ".join(sorted(STAFF_ROLE_NAMES))
                )
        grants[str(group)] = [
            {"municipality": e["municipality"], "office": e.get("office", "*"), "roles": e["roles"]}
            for e in entries
        ]
    return grants


def _check_identity(config) -> None:
    group_grants(config["STAFF_OIDC_GROUPS"], "STAFF_OIDC_GROUPS")
    group_grants(config["STAFF_LDAP_GROUPS"], "STAFF_LDAP_GROUPS")
    if config["STAFF_OIDC_DISCOVERY_URL"] and not config["STAFF_OIDC_CLIENT_ID"]:
        raise ConfigurationError("STAFF_OIDC_DISCOVERY_URL is set: set STAFF_OIDC_CLIENT_ID too")
    if config["STAFF_OIDC_DISCOVERY_URL"] and "openid" not in config["STAFF_OIDC_SCOPES"].split():
        raise ConfigurationError("STAFF_OIDC_SCOPES must contain openid")
    if config["STAFF_LDAP_URL"]:
        template, base = config["STAFF_LDAP_USER_DN_TEMPLATE"], config["STAFF_LDAP_USER_BASE"]
        if not (template or base):
            raise ConfigurationError(
                "STAFF_LDAP_URL is set: set STAFF_LDAP_USER_BASE (search) or "
                "STAFF_LDAP_USER_DN_TEMPLATE (direct bind)"
            )
        if template and "{login}" not in template:
            raise ConfigurationError("STAFF_LDAP_USER_DN_TEMPLATE must contain {login}")
        if base and "{login}" not in config["STAFF_LDAP_USER_FILTER"]:
            raise ConfigurationError("STAFF_LDAP_USER_FILTER must contain {login}")
    minutes = config["STAFF_IDENTITY_RECHECK_MINUTES"]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise ConfigurationError("STAFF_IDENTITY_RECHECK_MINUTES must be a whole number >= 1")
