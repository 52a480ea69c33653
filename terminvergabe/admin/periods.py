"""Date ranges of an office in SQL: local days and hours of UTC timestamps, on SQLite and on
PostgreSQL alike.

A range is cut where the office's UTC offset changes (DST), and each piece is grouped with its
fixed offset, so SQLite (no time zones) and PostgreSQL give the same figures and DST days come
out right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa

from terminvergabe.booking.models import Office
from terminvergabe.db import db
from terminvergabe.time import local_midnight

# -- SQL helpers that differ by backend ------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def minutes_between(start, end):
    """(end - start) in minutes, as a float expression."""
    if _dialect() == "postgresql":
        return sa.extract("epoch", end - start) / 60.0
    # julianday() is a float of days: round to whole seconds so 5 minutes is not 4.99999
    return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0) / 60.0


def local_hour(column, offset_minutes: int):
    """The local hour of day (0-23) of a timestamp, given the zone's UTC offset (constant
    within a segment, see `Range.segments`)."""
    if _dialect() == "postgresql":
        shifted = sa.func.timezone("UTC", column) + sa.func.make_interval(
            0, 0, 0, 0, 0, sa.literal(offset_minutes)
        )
        return sa.cast(sa.extract("hour", shifted), sa.Integer)
    return sa.cast(sa.func.strftime("%H", column, f"{offset_minutes:+d} minutes"), sa.Integer)


def local_day(column, offset_minutes: int):
    """The local date of a timestamp as text 'YYYY-MM-DD', given the UTC offset."""
    if _dialect() == "postgresql":
        shifted = sa.func.timezone("UTC", column) + sa.func.make_interval(
            0, 0, 0, 0, 0, sa.literal(offset_minutes)
        )
        return sa.func.to_char(shifted, "YYYY-MM-DD")
    return sa.func.date(column, f"{offset_minutes:+d} minutes")


def offset_segments(start_at: dt.datetime, end_at: dt.datetime, zone):
    """[start, end) cut where the zone's UTC offset changes (DST): (start, end, minutes).

    A year has three segments in Berlin; each is one GROUP BY with a fixed offset, so local
    hours and dates come out of SQL directly, also on SQLite, which knows no time zones."""
    segments = []
    seg_start = start_at
    offset = start_at.astimezone(zone).utcoffset()
    probe = start_at
    while probe < end_at:
        following = min(probe + dt.timedelta(days=1), end_at)
        if following.astimezone(zone).utcoffset() != offset:
            # the switch lies within this day: find its hour
            step = probe
            while step.astimezone(zone).utcoffset() == offset:
                step += dt.timedelta(minutes=15)
            segments.append((seg_start, step, int(offset.total_seconds() // 60)))
            seg_start, offset = step, step.astimezone(zone).utcoffset()
        probe = following
    segments.append((seg_start, end_at, int(offset.total_seconds() // 60)))
    return segments


@dataclass(frozen=True)
class Range:
    office: Office
    first: dt.date
    last: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return local_midnight(self.first, self.office.zone)

    @property
    def end_at(self) -> dt.datetime:
        return local_midnight(self.last + dt.timedelta(days=1), self.office.zone)

    def within(self, column):
        return sa.and_(column >= self.start_at, column < self.end_at)

    @cached_property
    def segments(self) -> list[tuple[dt.datetime, dt.datetime, int]]:
        return offset_segments(self.start_at, self.end_at, self.office.zone)
