"""Database access: the SQLAlchemy handle, UTC timestamps, and engine tuning per backend."""

import datetime as dt
import hmac
import secrets
import zlib

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, aliased


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)


class UTCDateTime(sa.TypeDecorator):
    """An aware UTC timestamp on every backend.

    SQLite has no time zone type, so values are stored as naive UTC and made aware again on the
    way out; PostgreSQL stores timestamptz. Naive input is a programming error and refused.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        # Runs for every timestamp read; PostgreSQL sessions are in UTC (_postgresql_connect).
        if value is None or value.tzinfo is dt.UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    """SQLite: WAL for concurrent readers, foreign keys on, and wait for locks instead of failing.

    The driver's own transaction handling is switched off so that every transaction starts with
    BEGIN IMMEDIATE (see _sqlite_begin): a deferred transaction that reads and then writes can
    fail at once with SQLITE_BUSY when another writer got in between.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_connect(dbapi_connection, connection_record):
    """PostgreSQL: the session's time zone is UTC, whatever the server's default.

    psycopg returns a timestamptz in the session's time zone; in UTC it arrives as the aware UTC
    value the app works with (`datetime.UTC` itself), so UTCDateTime has nothing to convert. In
    any other zone every value read would be converted twice (to that zone and back): the
    busy times of one day are about 500 values. Committed at once: a SET inside the first
    transaction would be undone by its rollback.
    """
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":
        return
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_key(name: str) -> None:
    """Serialise transactions that share `name` until the end of the current transaction.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite needs nothing because every
    transaction already holds the single write lock (BEGIN IMMEDIATE).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": zlib.crc32(name.encode())},
        )


_LOCKED_ROWS = "locked_rows"  # session.info: (model, id) locked by the current transaction


def lock_row(model, id_, skip_locked: bool = False):
    """The row, locked until the end of the transaction and read afresh (pending changes to
    the loaded object are overwritten, so lock before changing it).

    Transitions of one record lock it first, so that two requests acting on it at once (a
    double click, the citizen and the office, a confirmation and the expiry sweep) run one
    after the other on the current state instead of overwriting each other. With
    `skip_locked`, a row another transaction holds is skipped (None). SQLite ignores FOR
    UPDATE; there every transaction holds the write lock from its start.

    A row this transaction has locked already is not read again: nobody else can have
    changed it since (a confirmation that first expires a lapsed hold locks once).
    """
    locked = db.session.info.setdefault(_LOCKED_ROWS, set())
    if (model, id_) in locked:
        return db.session.get(model, id_)
    row = db.session.scalar(
        sa.select(model)
        .where(model.id == id_)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    if row is not None:
        locked.add((model, id_))
    return row


@event.listens_for(Session, "after_transaction_end")
def _forget_locked_rows(session, transaction) -> None:
    # Also at the end of a savepoint: a lock taken inside one that is rolled back is released.
    session.info.pop(_LOCKED_ROWS, None)


def insert_or_ignore(model):
    """INSERT ... ON CONFLICT DO NOTHING: a row that would break a unique constraint is
    skipped (`.returning(...)` then gives nothing)."""
    insert = postgresql.insert if is_postgresql() else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def read_row(statement, params: dict):
    """One row of a small read that needs no transaction: on PostgreSQL it runs on a pooled
    connection in autocommit, one round trip instead of BEGIN, query and ROLLBACK (a hot page
    asks it on every request). Elsewhere, and inside a transaction, the session reads it."""
    if db.session.get_bind().dialect.name != "postgresql" or db.session().in_transaction():
        return db.session.execute(statement, params).first()
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(statement, params).first()


def find_by_secret(column, token: str):
    """The row whose secret `column` (a manage, check-in or waitlist token) is `token`, compared
    in constant time. Tokens are short and URL-safe: anything else is not looked up, and
    PostgreSQL refuses a NUL character even in a comparison."""
    if not token or len(token) > 64 or "\x00" in token:
        return None
    row = db.session.scalar(sa.select(column.class_).where(column == token))
    if row is None or not hmac.compare_digest(getattr(row, column.key), token):
        return None
    return row


def lease_due(
    model, queued: str, now: dt.datetime, lease: dt.timedelta, limit: int, in_order_of: tuple
) -> tuple[str, list[int]] | None:
    """Lease the due rows of a queue table (status, next_attempt_at, lease_until, claim_token)
    for one sender: the claim token and their ids, or None when nothing is due. Of the rows
    that share the columns `in_order_of` (an appointment: its mails and events go out in
    order), only the earliest queued one is taken. Other senders skip locked rows
    (PostgreSQL) and leased ones; a lease that runs out lets another sender take the row."""
    earlier = aliased(model)
    behind_another = sa.exists().where(
        *(getattr(earlier, name) == getattr(model, name) for name in in_order_of),
        earlier.status == queued,
        earlier.id < model.id,
    )
    ids = db.session.scalars(
        sa.select(model.id)
        .where(
            model.status == queued,
            model.next_attempt_at <= now,
            sa.or_(model.lease_until.is_(None), model.lease_until <= now),
            ~behind_another,
        )
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        return None
    token = secrets.token_hex(16)
    db.session.execute(
        sa.update(model)
        .where(model.id.in_(ids))
        .values(lease_until=now + lease, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    return token, ids
