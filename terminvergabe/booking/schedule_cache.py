"""Keeping an office's staffing in memory between requests, and knowing when it is stale.

Counters, skills, shift patterns, exceptions, opening hours and closures change rarely but are
read on every availability question. Any flush that touches one of them draws a new
`Office.schedule_stamp`; cached staffing is keyed by that stamp, so every process (and every
open session, which sees its own flushed changes) uses the staffing that is in force.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

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
