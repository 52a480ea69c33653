"""Configuration: defaults -> instance/config.py -> TERMINVERGABE_* -> create_app(dict)."""

import stat

import flask
import pytest
import sqlalchemy as sa

from terminvergabe import create_app
from terminvergabe.config import from_environment
from terminvergabe.db import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder of our own, and no TERMINVERGABE_* variables from outside."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(folder))
    for name in list(__import__("os").environ):
        if name.startswith("TERMINVERGABE_"):
            monkeypatch.delenv(name)
    return folder


@pytest.fixture
def make_app():
    apps = []

    def make(config=None):
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_defaults(instance, make_app):
    app = make_app()
    assert app.instance_path == str(instance)
    assert app.config["BABEL_DEFAULT_LOCALE"] == "de"
    assert app.config["LANGUAGES"] == ["de", "en", "tr", "ar", "uk"]
    assert app.config["MAIL_PORT"] == 25
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"


def test_instance_file_then_environment_then_explicit_dict(instance, make_app, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text(
        'BASE_URL = "https://instance.example"\n'
        'MAIL_SERVER = "smtp.instance.example"\n'
        "MAIL_PORT = 2525\n"
    )
    monkeypatch.setenv("TERMINVERGABE_BASE_URL", "https://environment.example")
    monkeypatch.setenv("TERMINVERGABE_MAIL_SERVER", "smtp.environment.example")

    app = make_app({"BASE_URL": "https://explicit.example"})

    assert app.config["MAIL_PORT"] == 2525  # instance file over the default
    assert app.config["MAIL_SERVER"] == "smtp.environment.example"  # environment over the file
    assert app.config["BASE_URL"] == "https://explicit.example"  # explicit dict over everything
    assert app.config["MAIL_DEFAULT_SENDER"] == "terminvergabe@localhost"  # untouched default


def test_environment_values_are_json_where_they_parse():
    settings = from_environment(
        {
            "TERMINVERGABE_MAIL_PORT": "587",
            "TERMINVERGABE_SCHEDULER_ENABLED": "true",
            "TERMINVERGABE_LANGUAGES": '["de", "en"]',
            "TERMINVERGABE_MAIL_SERVER": "smtp.example.org",
            "OTHER_SETTING": "ignored",
        }
    )
    assert settings == {
        "MAIL_PORT": 587,
        "SCHEDULER_ENABLED": True,
        "LANGUAGES": ["de", "en"],
        "MAIL_SERVER": "smtp.example.org",
    }


def test_database_url_is_an_alias(instance, make_app, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path}/elsewhere.sqlite3"
    monkeypatch.setenv("TERMINVERGABE_DATABASE_URL", url)
    app = make_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert "DATABASE_URL" not in app.config


def test_sqlite_in_the_instance_folder_with_wal(instance, make_app):
    app = make_app()
    database = instance / "terminvergabe.sqlite3"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    assert database.exists()


def test_secret_key_generated_once_and_kept(instance, make_app):
    first = make_app().config["SECRET_KEY"]
    second = make_app().config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 64  # 32 random bytes, hex
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # readable by the app's user only


def test_configured_secret_key_is_used_and_nothing_written(instance, make_app, monkeypatch):
    monkeypatch.setenv("TERMINVERGABE_SECRET_KEY", "from-the-environment")
    app = make_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()
