"""Fixtures: the app on a real database (SQLite file, or PostgreSQL when
TERMINVERGABE_TEST_DATABASE_URL says so), created once, emptied after every test.

The tables come from the models here; tests/test_migrations.py checks that the migrations
build the same schema."""

import datetime as dt
import os
import socket
import tempfile

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from terminvergabe import create_app
from terminvergabe.db import db
from terminvergabe.limiter import limiter
from tests import factories

# Property tests judge results, not speed: a busy machine must not fail them.
settings.register_profile("project", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("project")

# pytest-xdist runs the tests in worker processes named gw0, gw1, ...: each has a database of
# its own, <name>_gw0 on PostgreSQL (created here), its own temporary file on SQLite.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_url(url: str | None) -> str | None:
    if not url or not WORKER:
        return url
    parsed = sa.make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


TEST_DATABASE_URL = _worker_url(os.environ.get("TERMINVERGABE_TEST_DATABASE_URL"))

TEST_PASSWORD_HASH = "pbkdf2:sha256:1"

# A Monday in winter, 09:00 in Berlin: the clock most tests run at.
NOW = dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC)


def _database_url(tmp_dir: str) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_dir}/test.sqlite3"


def _create_worker_database() -> None:
    """A worker's PostgreSQL database, created through the configured one when missing."""
    if not WORKER or not TEST_DATABASE_URL:
        return
    url = sa.make_url(TEST_DATABASE_URL)
    if url.get_backend_name() != "postgresql":
        return
    engine = sa.create_engine(
        os.environ["TERMINVERGABE_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        found = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        )
        if not found:
            # template0: nobody is connected to it, so workers may copy it at the same time
            name = conn.dialect.identifier_preparer.quote(url.database)
            conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE template0"))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    _create_worker_database()
    with tempfile.TemporaryDirectory() as tmp_dir:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "SQLALCHEMY_DATABASE_URI": _database_url(tmp_dir),
                "WTF_CSRF_ENABLED": False,
                "SERVER_NAME": "localhost",
                "BASE_URL": "http://localhost",
                "MAIL_SUPPRESS_SEND": True,
                # Tests write appointments behind the operations' back; see test_schedule_cache.
                "AVAILABILITY_CACHE_SECONDS": 0,
                "DAY_PAGE_CACHE_SECONDS": 0,
                # Bot defences off by default in tests of other features (a test client makes
                # many holds from one address); tests/fairness switches them on per office.
                "ALTCHA_REQUIRED_DEFAULT": False,
                "FAIRNESS_MAX_OPEN_HOLDS": 1000,
                # The race tests play up to 15 clients in this one process, each with its own
                # connection; a production process shares 5 + 2 (the connection budget).
                "DATABASE_MAX_OVERFLOW": 10,
                # Staff accounts are made in many fixtures: a cheap hash (scrypt's cost is the
                # point in production, and wasted here).
                "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
            }
        )
        app.instance_path = tmp_dir
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.create_all()
        yield app
        with app.app_context():
            db.engine.dispose()


def _empty_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app_ctx(app):
    app.config["FROZEN_NOW"] = NOW
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
    app.config["FROZEN_NOW"] = None
    limiter.reset()  # rate-limit counts (memory storage) do not carry over to the next test


@pytest.fixture
def client(app_ctx):
    return app_ctx.test_client()


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def office(app_ctx):
    """A small office: two counters, three services, Mon-Fri 08:00-12:00, committed."""
    office = factories.create_office()
    db.session.commit()
    return office


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def take_database_down(app_ctx, tmp_path, monkeypatch):
    """Call it to make the app's database unreachable: PostgreSQL on a port nobody listens on,
    or an SQLite file in a folder that does not exist. What the test wrote before stays in the
    real database, and the app is back on it after the test, or when the test calls the
    function that `down()` returns."""
    dead = []

    def down():
        real = db.engine
        url = db.engine.url
        if url.get_backend_name() == "postgresql":
            url = url.set(port=_closed_port())
        else:
            url = url.set(database=str(tmp_path / "gone" / "test.sqlite3"))
        engine = sa.create_engine(url, pool_pre_ping=True)
        dead.append(engine)
        db.session.remove()
        monkeypatch.setitem(db.engines, None, engine)

        def up():
            db.session.remove()
            db.engines[None] = real

        return up

    yield down
    db.session.remove()
    for engine in dead:
        engine.dispose()


def pytest_collection_modifyitems(config, items):
    """Browser and concurrency tests are the slow ones (`-m "not slow"` leaves them out of a
    quick run). Concurrency tests start processes or race threads against the database: under
    pytest-xdist (`--dist loadgroup`) they run on one worker, one after another, so that they
    race each other's clients and not the rest of the suite."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("concurrency"):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("concurrency"):
            item.add_marker(pytest.mark.xdist_group("concurrency"))
