"""Keeping an office's staffing in memory between requests, and knowing when it is stale.

Counters, skills, shift patterns, exceptions, opening hours and closures change rarely but are
read on every availability question. Any flush that touches one of them draws a new
`Office.schedule_stamp`; cached staffing is keyed by that stamp, so every process (and every
open session, which sees its own flushed changes) uses the staffing that is in force.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from terminvergabe.booking import signals
from terminvergabe.booking.models import (
    Appointment,
    AvailabilityChange,
    Closure,
    Counter,
    Offer,
    Office,
    OfficeMembership,
    OpeningHours,
    Service,
    ShiftException,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.cache import Cache
from terminvergabe.db import db

MAX_OFFICES = 64

_staffing = Cache(MAX_OFFICES)


def cached(stamp: str, build):
    """The value cached under `stamp`, built by `build()` on a miss; least recently used
    entries go first. Two threads may build the same entry; both results are equal."""
    return _staffing.get_or_build(stamp, build)


def clear() -> None:
    _staffing.clear()
    _known.clear()


def _offices_of(session: Session, obj) -> set[Office]:
    """The offices whose staffing `obj` is part of."""
    if isinstance(obj, Office):
        return {obj}
    if isinstance(obj, Counter | Offer | OpeningHours | Closure | OfficeMembership):
        office = obj.office or (obj.office_id and session.get(Office, obj.office_id))
        return {office} if office else set()
    if isinstance(obj, Service):
        return {offer.office for offer in obj.offers if offer.office is not None}
    if isinstance(obj, StaffMember):
        return {m.office for m in obj.memberships if m.office is not None}
    if isinstance(obj, ShiftPattern):
        counter = obj.counter or session.get(Counter, obj.counter_id)
        return _offices_of(session, counter) if counter else set()
    if isinstance(obj, ShiftException):
        staff = obj.staff_member or session.get(StaffMember, obj.staff_member_id)
        found = _offices_of(session, staff) if staff else set()
        counter = obj.counter_id and session.get(Counter, obj.counter_id)
        return found | ({counter.office} if counter else set())
    return set()


@event.listens_for(Session, "before_flush")
def _restamp_changed_offices(session: Session, flush_context, instances) -> None:
    changed = [
        obj
        for obj in chain(session.new, session.dirty, session.deleted)
        if obj in session.new or obj in session.deleted or session.is_modified(obj)
    ]
    offices = set().union(*(_offices_of(session, obj) for obj in changed))
    for office in offices:
        office.schedule_stamp = secrets.token_hex(8)


# -- the free days of a selection ------------------------------------------------------------
#
# Which days of the horizon still have a free time is the question every visitor asks first and
# the most expensive one to answer from scratch (every live appointment of the horizon). So each
# process keeps, per office, schedule stamp and kind of request, whether each day had a free time,
# and before answering asks the database which days changed since (AvailabilityChange, written
# in the same transaction as every change of an appointment). Only those days are read again, so
# a booking made by any process is seen by the next question in every other process.
#
# Besides the recorded changes, a day's answer goes stale by itself when a hold or a cooldown it
# counted as busy lapses (no write happens then), and a free day stops being free when the lead
# time passes its first free start: both are expressed in each answer's `until`.

MAX_KNOWN = 2048
# A kept list is read afresh after this long, so that change notes can be deleted after a day.
MAX_AGE_SECONDS = 3600
CHANGE_NOTES_KEPT = dt.timedelta(days=1)
_WROTE = "availability_changed"  # session.info: this transaction changed appointments
_NOTED = "availability_noted"  # session.info: (office id, start) noted in this transaction


@dataclass(frozen=True)
class DayAnswer:
    """Whether a day had a free time, worked out at `at`, valid until `until` (None: until a
    recorded change)."""

    free: bool
    at: dt.datetime
    until: dt.datetime | None

    def valid(self, now: dt.datetime) -> bool:
        return self.at <= now and (self.until is None or now < self.until)


@dataclass
class _Known:
    watermark: int  # change notes with a token at least this large were not seen
    built: float  # time.monotonic() of the first full reading
    checked: float  # time.monotonic() of the last question to the database
    days: dict[dt.date, DayAnswer] = field(default_factory=dict)


_known = Cache(MAX_KNOWN)


def _news_statement(watermark: sa.ColumnElement[int], token: sa.ColumnElement[int]) -> sa.Select:
    """The watermark of the statement's snapshot (the smallest token a change this reading cannot
    see can have), with the start of every change note of :office whose token is at least
    :seen: one row per note, or one row with no start when there is none (always when :seen is
    NULL, nothing known yet). One statement: one snapshot and one round trip for both."""
    snapshot = sa.select(watermark.label("watermark")).subquery()
    return sa.select(snapshot.c.watermark, AvailabilityChange.start_at).select_from(
        snapshot.outerjoin(
            AvailabilityChange,
            sa.and_(
                AvailabilityChange.office_id == sa.bindparam("office"),
                token >= sa.bindparam("seen"),
            ),
        )
    )


# Built once: they run on every question about free days.
# PostgreSQL: the xmin of the snapshot; every transaction below it has finished, so a note this
# reading cannot see has a txid at least as large.
_PG_NEWS = _news_statement(
    sa.literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"),
    AvailabilityChange.txid,
)
# SQLite: one writer at a time; an id not visible yet is larger than every visible one
# (AUTOINCREMENT never hands out an id again).
_SQLITE_NEWS = _news_statement(
    sa.select(sa.func.coalesce(sa.func.max(AvailabilityChange.id), 0) + 1).scalar_subquery(),
    AvailabilityChange.id,
)


def _news(session: Session, office_id: int, seen: int | None) -> tuple[int, list[dt.datetime]]:
    """This reading's watermark, and the times of the office's changes with a token of at least
    `seen` (None: none wanted)."""
    connection = session.connection()
    statement = _PG_NEWS if connection.dialect.name == "postgresql" else _SQLITE_NEWS
    rows = connection.execute(statement, {"office": office_id, "seen": seen}).all()
    return rows[0][0], [start for _watermark, start in rows if start is not None]


def free_days(
    key: tuple,
    days: list[dt.date],
    now: dt.datetime,
    local_date: Callable[[dt.datetime], dt.date],
    work_out: Callable[[list[dt.date]], dict[dt.date, DayAnswer]],
    seconds: float = 0,
) -> list[dt.date]:
    """The days among `days` (ascending, the booking window) with a free time.

    `key` starts with the office id and holds everything else the answer depends on (schedule
    stamp, services, duration); `work_out(some_days)` reads those days afresh. With
    `seconds` > 0 the database is asked about other processes' changes at most that often."""
    if not days:
        return []
    session = db.session()
    session.flush()  # this transaction's own changes are noted before we look
    if session.info.get(_WROTE):
        # This transaction changed bookings that may yet be rolled back: answer from its own
        # view and keep nothing.
        answers = work_out(days)
        return [day for day in days if answers[day].free]
    office_id = key[0]
    clock = time.monotonic()
    known = _known.get(key)
    if known is not None and clock - known.built > MAX_AGE_SECONDS:
        known = None
    if known is not None and seconds > 0 and clock - known.checked < seconds:
        watermark, changed = known.watermark, set()
    else:
        # The watermark and the changes from one snapshot, before the bookings are read:
        # whatever this reading cannot see is reported by the next question.
        seen = known.watermark if known is not None else None
        watermark, starts = _news(session, office_id, seen)
        changed = {local_date(at) for at in starts}
        clock = time.monotonic()
    old = known.days if known is not None else {}
    stale = [day for day in days if day in changed or day not in old or not old[day].valid(now)]
    fresh = work_out(stale) if stale else {}
    answers = {day: fresh.get(day) or old[day] for day in days}
    entry = _Known(
        watermark=watermark,
        built=known.built if known is not None else clock,
        checked=clock,
        days=answers,
    )
    _known.put(key, entry)
    return [day for day in days if answers[day].free]


def forget_days(office_id: int) -> None:
    """Make the next question about this office ask the database (after a change made here)."""
    for key, known in _known.items():
        if key[0] == office_id:
            known.checked = float("-inf")


# The name is looked up at each call, so that a test can stand in for another process.
signals.on_times_changed(lambda office_id: forget_days(office_id))


# -- change notes ----------------------------------------------------------------------------

# What decides whether an appointment takes its time (see schedules._busy_by_counter_day).
_BUSY_FIELDS = ("status", "start_at", "end_at", "counter_id", "hold_expires_at", "office_id")


def _moved_starts(session: Session) -> Iterable[tuple[int, dt.datetime]]:
    """(office id, start) of every appointment whose taking of time this flush changes, at its
    old and its new time."""
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, Appointment) and obj.office_id is not None and obj.start_at:
            yield obj.office_id, obj.start_at
    for obj in session.dirty:
        if not isinstance(obj, Appointment) or not session.is_modified(obj):
            continue
        histories = {name: attributes.get_history(obj, name) for name in _BUSY_FIELDS}
        if not any(h.has_changes() for h in histories.values()):
            continue
        yield obj.office_id, obj.start_at
        for old_office in histories["office_id"].deleted or (obj.office_id,):
            for old_start in histories["start_at"].deleted:
                if old_office is not None and old_start is not None:
                    yield old_office, old_start


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context) -> None:
    noted = session.info.setdefault(_NOTED, set())
    rows = {(office_id, start) for office_id, start in _moved_starts(session) if office_id}
    rows -= noted  # one note per time and transaction is enough
    if not rows:
        return
    connection = session.connection()
    txid = (
        sa.cast(sa.cast(sa.func.pg_current_xact_id(), sa.Text), sa.BigInteger)
        if connection.dialect.name == "postgresql"
        else None
    )
    created = dt.datetime.now(dt.UTC)
    connection.execute(
        sa.insert(AvailabilityChange).values(txid=txid),
        [
            {"office_id": office_id, "start_at": start, "created_at": created}
            for office_id, start in rows
        ],
    )
    noted.update(rows)
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _transaction_committed(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint released keeps to the transaction
        session.info.pop(_NOTED, None)
        session.info.pop(_WROTE, None)


@event.listens_for(Session, "after_rollback")
def _transaction_rolled_back(session: Session) -> None:
    # A savepoint rolled back takes its notes with it: note again whatever is flushed next;
    # the transaction's earlier writes stay.
    session.info.pop(_NOTED, None)
    if not session.in_nested_transaction():
        session.info.pop(_WROTE, None)


def forget_old_changes(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Retention: change notes are only needed while a process may still keep an answer that
    predates them (MAX_AGE_SECONDS). Housekeeping, not personal data: counts nothing."""
    db.session.execute(
        sa.delete(AvailabilityChange).where(AvailabilityChange.created_at < now - CHANGE_NOTES_KEPT)
    )
    return 0
