"""terminvergabe: appointment booking, check-in and queueing for citizen offices."""

import os
import secrets
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from terminvergabe import config as config_module
from terminvergabe import logs, security
from terminvergabe.db import db as database

ROOT = config_module.ROOT

migrate = Migrate()
csrf = CSRFProtect()


class _App(Flask):
    config_class = config_module.Config


def create_app(config: dict | None = None) -> Flask:
    """Build the app. Settings: defaults, then instance/config.py, then TERMINVERGABE_* variables,
    then `config` (tests). A setting the app cannot run with raises ConfigurationError."""
    app = _App(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    environment = config_module.from_environment()
    app.config.from_mapping(config_module.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(environment)
    if config:
        app.config.from_mapping(config)
    logs.init_app(app)  # first: every later hook and message has the request id
    config_module.check_secret_key(app.config.get("SECRET_KEY"))
    _fill_instance_defaults(app)
    config_module.accessibility_statement_date(app.config)  # a wrong date fails at start
    _engine_options(app)
    security.init_app(app)  # before errors and limiter: its after_request runs after theirs

    from terminvergabe.booking import models  # noqa: F401  (tables known to migrations)

    database.init_app(app)
    migrate.init_app(app, database, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)

    from terminvergabe import errors, events, i18n, limiter, request_guard

    i18n.init_app(app)
    events.init_app(app)
    errors.init_app(app)
    request_guard.init_app(app)
    limiter.init_app(app)

    from terminvergabe.booking import cli
    from terminvergabe.citizen import api, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)
    cli.init_app(app)

    from terminvergabe import health, metrics

    health.init_app(app)
    metrics.init_app(app)

    _register_features(app)
    config_module.check(app, environment)
    return app


def _register_features(app: Flask) -> None:
    """Each feature package hooks itself in through the `init_app` of its package."""
    from terminvergabe import admin, auth, counter, fairness, integrations, notify

    notify.init_app(app)
    auth.init_app(app)
    counter.init_app(app)
    integrations.init_app(app)
    admin.init_app(app)
    fairness.init_app(app)


def _engine_options(app: Flask) -> None:
    """What SQLALCHEMY_ENGINE_OPTIONS does not say itself: a statement's parameters (names,
    email addresses, tokens) stay out of error messages and so out of the log; on PostgreSQL,
    DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW connections per process (SQLite needs no pool of
    this kind)."""
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options.setdefault("hide_parameters", True)
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        options.setdefault("pool_size", app.config["DATABASE_POOL_SIZE"])
        options.setdefault("max_overflow", app.config["DATABASE_MAX_OVERFLOW"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _fill_instance_defaults(app: Flask) -> None:
    """Without configuration the app runs on SQLite in the instance folder with a secret key
    generated once and kept there."""
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "terminvergabe.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("SECRET_KEY"):
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
