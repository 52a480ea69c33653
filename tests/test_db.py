"""The database layer: timestamps come back as aware UTC on every backend."""

import datetime as dt

import pytest
import sqlalchemy as sa

from terminvergabe.db import UTCDateTime, db

INSTANT = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)  # the night clocks go forward


def read_back(connection, value):
    return connection.execute(sa.select(sa.literal(value, UTCDateTime))).scalar_one()


def test_a_timestamp_reads_back_as_the_same_aware_utc_instant(app_ctx):
    berlin = INSTANT.astimezone(dt.timezone(dt.timedelta(hours=2)))
    value = read_back(db.session.connection(), berlin)
    assert value == INSTANT and value.tzinfo is dt.UTC


def test_postgresql_sessions_are_in_utc_whatever_the_servers_default(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite stores naive UTC")
    engine = sa.create_engine(db.engine.url, connect_args={"options": "-c TimeZone=Europe/Berlin"})
    try:
        with engine.connect() as connection:
            value = read_back(connection, INSTANT)
            assert value == INSTANT and value.tzinfo is dt.UTC
            connection.rollback()  # the setting outlives the first transaction
            assert connection.execute(sa.text("SHOW TimeZone")).scalar_one() == "UTC"
    finally:
        engine.dispose()
