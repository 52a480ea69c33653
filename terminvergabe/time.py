"""Time helpers. Stored times are aware UTC; office hours are local wall times plus a zone.

`now()` is the one clock the views read; operations take the time as an argument so that tests
can move it freely.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)  # built once: daterange steps through 180 days per question


def now() -> dt.datetime:
    """The current time, aware UTC. Tests may set app.config["FROZEN_NOW"]."""
    if has_app_context():
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen
    return dt.datetime.now(UTC)


def local_to_utc(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a local wall time, or None when the wall time does not exist (the hour
    skipped when clocks go forward). An ambiguous wall time (clocks go back) takes its first
    occurrence."""
    local = dt.datetime.combine(day, wall, tzinfo=zone)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def is_repeated_wall_time(instant: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the office's clock shows this wall time twice that night (the hour repeated when
    the clocks go back): only then does "02:30" need to say which of the two it is."""
    local = instant.astimezone(zone)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)


def local_date(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    return instant.astimezone(zone).date()


def daterange(first: dt.date, last: dt.date):
    """Every date from first to last, both included."""
    day = first
    while day <= last:
        yield day
        day += ONE_DAY
