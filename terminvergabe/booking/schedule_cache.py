"""Keeping an office's staffing in memory between requests, and knowing when it is stale.

Counters, skills, shift patterns, exceptions, opening hours and closures change rarely but are
read on every availability question. Any flush that touches one of them draws a new
`Office.schedule_stamp`; cached staffing is keyed by that stamp, so every process (and every
open session, which sees its own flushed changes) uses the staffing that is in force.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

from terminvergabe.booking import signals
from terminvergabe.booking.models import (
    Closure,
    Counter,
    Office,
    OpeningHours,
    Service,
    ShiftException,
    ShiftPattern,
    StaffMember,
)

MAX_OFFICES = 64

_cache: OrderedDict[str, object] = OrderedDict()


def cached(stamp: str, build):
    """The value cached under `stamp`, built by `build()` on a miss; least recently used
    entries go first. Two threads may build the same entry; both results are equal."""
    value = _cache.get(stamp)
    if value is None:
        value = build()
        _cache[stamp] = value
        while len(_cache) > MAX_OFFICES:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(stamp, last=True)
    return value


def clear() -> None:
    _cache.clear()
    _day_lists.clear()


def _office_of(session: Session, obj) -> Office | None:
    if isinstance(obj, Office):
        return obj
    if isinstance(obj, Counter | Service | OpeningHours | Closure | StaffMember):
        return obj.office or (obj.office_id and session.get(Office, obj.office_id))
    if isinstance(obj, ShiftPattern):
        counter = obj.counter or session.get(Counter, obj.counter_id)
        return _office_of(session, counter) if counter else None
    if isinstance(obj, ShiftException):
        staff = obj.staff_member or session.get(StaffMember, obj.staff_member_id)
        return _office_of(session, staff) if staff else None
    return None


@event.listens_for(Session, "before_flush")
def _restamp_changed_offices(session: Session, flush_context, instances) -> None:
    changed = [
        obj
        for obj in chain(session.new, session.dirty, session.deleted)
        if obj in session.new or obj in session.deleted or session.is_modified(obj)
    ]
    offices = {_office_of(session, obj) for obj in changed}
    for office in offices - {None}:
        office.schedule_stamp = secrets.token_hex(8)


# -- the free days of a selection ------------------------------------------------------------
#
# Which days of the horizon still have a free time is the question every visitor asks first and
# the most expensive one (every live appointment of the horizon is read). The answer is kept for
# a few seconds (config AVAILABILITY_CACHE_SECONDS) and dropped at once when this process books,
# cancels or releases a time of that office. It only decides which days are shown as links: the
# free times of a day and every hold are always worked out afresh.

MAX_DAY_LISTS = 2048

_day_lists: OrderedDict[tuple, tuple[float, list]] = OrderedDict()


def recent_days(key: tuple, seconds: float, build) -> list:
    """`build()` or its result from at most `seconds` ago; key[0] is the office id."""
    if seconds <= 0:
        return build()
    now = time.monotonic()
    entry = _day_lists.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]
    value = build()
    _day_lists[key] = (now + seconds, value)
    while len(_day_lists) > MAX_DAY_LISTS:
        _day_lists.popitem(last=False)
    return value


def forget_days(office_id: int) -> None:
    for key in [key for key in list(_day_lists) if key[0] == office_id]:
        _day_lists.pop(key, None)


def _forget_office_of(appointment, **_kwargs) -> None:
    forget_days(appointment.office_id)


def _forget_released(office, **_kwargs) -> None:
    forget_days(office.id)


for _signal in (
    signals.appointment_held,
    signals.appointment_pending,
    signals.appointment_confirmed,
    signals.appointment_rebooked,
    signals.appointment_cancelled,
    signals.appointment_expired,
):
    _signal.connect(_forget_office_of, weak=False)
signals.time_released.connect(_forget_released, weak=False)
