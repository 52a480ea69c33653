"""Configuration: defaults -> instance/config.py -> TERMINVERGABE_* -> create_app(dict)."""

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import flask
import pytest
import sqlalchemy as sa

from terminvergabe import config as config_module
from terminvergabe import create_app
from terminvergabe.config import ConfigurationError, from_environment
from terminvergabe.db import db

ROOT = Path(__file__).resolve().parents[1]


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


# -- checked at start --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12345", "0", "true", "[1, 2]"])
def test_a_secret_key_that_is_not_text_is_refused(instance, make_app, monkeypatch, value):
    monkeypatch.setenv("TERMINVERGABE_SECRET_KEY", value)
    with pytest.raises(ConfigurationError) as refused:
        make_app()
    assert "SECRET_KEY must be text" in str(refused.value.code)
    assert "\n" not in str(refused.value.code)
    assert not (instance / "secret_key").exists()  # not silently replaced by a generated one


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MAIL_PORT", "smtp", "a whole number"),
        ("SCHEDULER_ENABLED", "1", "true or false"),
        ("LANGUAGES", "de", "a JSON list"),
        ("TRUSTED_PROXY_HOPS", "true", "a whole number"),
        ("FAIRNESS_LIMIT_SEARCH", "60", "text"),  # declared by its package
    ],
)
def test_a_setting_of_the_wrong_type_is_refused(
    instance, make_app, monkeypatch, name, value, expected
):
    monkeypatch.setenv(f"TERMINVERGABE_{name}", value)
    with pytest.raises(ConfigurationError) as refused:
        make_app()
    assert f"TERMINVERGABE_{name} must be {expected}" in str(refused.value.code)


def test_a_wrong_date_is_refused(instance, make_app, monkeypatch):
    monkeypatch.setenv("TERMINVERGABE_ACCESSIBILITY_STATEMENT_DATE", "2026-13-01")
    with pytest.raises(ConfigurationError, match="must be a date like 2026-11-23"):
        make_app()


def test_an_unknown_name_is_a_warning(instance, make_app, monkeypatch, caplog):
    monkeypatch.setenv("TERMINVERGABE_BASEURL", "https://termine.example.de")
    monkeypatch.setenv("TERMINVERGABE_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("TERMINVERGABE_WTF_CSRF_ENABLED", "true")  # an extension's own
    make_app()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["unknown setting TERMINVERGABE_BASEURL is ignored"]


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({}, "RATELIMIT_STORAGE_URI=memory://"),
        ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, "in-process event broker"),
        (
            {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "EVENT_BROKER": "memory"},
            "in-process event broker",
        ),
    ],
)
def test_in_process_state_with_several_workers_is_refused(
    instance, make_app, monkeypatch, settings, refusal
):
    monkeypatch.setenv("TERMINVERGABE_WORKERS", "4")  # what gunicorn.conf.py tells the app
    with pytest.raises(ConfigurationError) as refused:
        make_app(settings)
    assert refusal in str(refused.value.code)


def test_shared_state_with_several_workers_is_accepted():
    config = {
        "WORKERS": 4,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "EVENT_BROKER": "auto",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.example/terminvergabe",
    }
    config_module._check_shared_state(config)
    config_module._check_shared_state(
        {**config, "RATELIMIT_STORAGE_URI": "memory://", "WORKERS": 1}
    )


def test_metrics_addresses_are_checked(instance, make_app):
    with pytest.raises(ConfigurationError, match="METRICS_ALLOWED_ADDRESSES"):
        make_app({"METRICS_ALLOWED_ADDRESSES": ["10.0.0.0/33"]})


def test_statement_parameters_stay_out_of_error_messages(instance, make_app):
    app = make_app()
    with app.app_context(), pytest.raises(sa.exc.OperationalError) as failed:
        db.session.execute(sa.text("SELECT * FROM nowhere WHERE x = :t"), {"t": "secret-token"})
    assert "secret-token" not in str(failed.value)


def test_postgresql_pool_fits_the_connection_budget(instance, make_app, tmp_path):
    app = make_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://127.0.0.1:1/none"})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    per_process = options["pool_size"] + options["max_overflow"] + 1  # + its LISTEN connection
    hosts, workers, schedulers = 2, 4, 2
    assert hosts * workers * per_process + schedulers * per_process <= 100 - 3 - 5


def _run(code: str, env: dict, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **_clean_environment(),
            "TERMINVERGABE_DATABASE_URL": f"sqlite:///{tmp_path}/x",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def _clean_environment() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("TERMINVERGABE_")}


def test_wsgi_refuses_with_one_line_and_gunicorns_load_error_code(tmp_path):
    done = _run("import wsgi", {"TERMINVERGABE_SECRET_KEY": "12345"}, tmp_path)
    assert done.returncode == 4  # gunicorn stops instead of restarting the worker
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        "terminvergabe: configuration error: SECRET_KEY must be text, not int "
        "(an all-digit TERMINVERGABE_SECRET_KEY is read as a number: use letters in it)"
    ]


def test_gunicorn_stops_when_workers_cannot_share_their_state(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **_clean_environment(),
        "TERMINVERGABE_DATABASE_URL": f"sqlite:///{tmp_path}/x",
        "TERMINVERGABE_SECRET_KEY": "a-secret",
        "TERMINVERGABE_BIND": f"127.0.0.1:{port}",
        "TERMINVERGABE_THREADS": "2",
    }
    done = subprocess.run(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "-w",
            "2",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "2 workers count rate limits each on their own" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


def test_staff_role_names_are_the_roles():
    from terminvergabe.booking.models import Role

    assert {r.value for r in Role} == config_module.STAFF_ROLE_NAMES


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"STAFF_OIDC_GROUPS": ["x"]}, "STAFF_OIDC_GROUPS must be a JSON object"),
        ({"STAFF_OIDC_GROUPS": {"g": {"municipality": "m", "roles": ["boss"]}}}, "roles are"),
        ({"STAFF_LDAP_GROUPS": {"g": {"office": "*", "roles": ["clerk"]}}}, "STAFF_LDAP_GROUPS"),
        ({"STAFF_LDAP_GROUPS": {"g": {"municipality": "m", "roles": []}}}, "STAFF_LDAP_GROUPS"),
        (
            {"STAFF_OIDC_DISCOVERY_URL": "https://idp/.well-known/openid-configuration"},
            "STAFF_OIDC_CLIENT_ID",
        ),
        ({"STAFF_LDAP_URL": "ldap://dir"}, "STAFF_LDAP_USER_BASE"),
        ({"STAFF_LDAP_URL": "ldap://dir", "STAFF_LDAP_USER_DN_TEMPLATE": "uid=x"}, "{login}"),
        ({"STAFF_IDENTITY_RECHECK_MINUTES": 0}, "STAFF_IDENTITY_RECHECK_MINUTES"),
    ],
)
def test_identity_settings_are_checked(instance, settings, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        create_app({"SECRET_KEY": "x", **settings})


def test_a_group_mapping_from_the_environment_is_accepted(instance, monkeypatch, make_app):
    monkeypatch.setenv(
        "TERMINVERGABE_STAFF_OIDC_GROUPS",
        '{"g": {"municipality": "m", "office": "*", "roles": ["clerk", "admin"]}}',
    )
    app = make_app({"SECRET_KEY": "x"})
    assert app.config["STAFF_OIDC_GROUPS"]["g"]["roles"] == ["clerk", "admin"]
