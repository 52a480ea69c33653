"""The slot engine: which days and start times are free, over plain data.

No database here: `schedules.py` turns shifts, opening hours, closures, holidays and claims into
`CounterDay`s, and this module answers from those. It is the hot path of the booking pages and is
property-tested against a brute-force oracle (tests/booking/test_slots.py).

A start time `s` is free when some counter is staffed by people who can do every selected
service for the whole of [s, s + duration) and has nothing booked or held overlapping it. Start
times lie on the office's slot grid, counted in local wall-clock minutes from midnight.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

Interval = tuple[dt.datetime, dt.datetime]
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class StaffedInterval:
    """A counter is staffed from `start` to `end` (UTC) by someone who can do `skills`."""

    start: dt.datetime
    end: dt.datetime
    skills: frozenset[int]


@dataclass(frozen=True)
class CounterDay:
    """One counter on one local date: when it is staffed, and what is already taken."""

    counter_id: int
    staffed: tuple[StaffedInterval, ...]
    busy: tuple[Interval, ...]  # sorted by start; claims of held and booked appointments


def appointment_minutes(
    selection: Mapping[int, int], durations: Mapping[int, int], slot_minutes: int
) -> int:
    """Sum of service duration x quantity, rounded up to the slot granularity."""
    total = sum(durations[service] * quantity for service, quantity in selection.items())
    return math.ceil(total / slot_minutes) * slot_minutes


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _subtract(windows: list[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`windows` minus `busy`; both sorted, windows disjoint."""
    result = []
    busy = sorted(busy)
    i = 0
    for start, end in windows:
        cursor = start
        while i < len(busy) and busy[i][1] <= cursor:
            i += 1
        j = i
        while j < len(busy) and busy[j][0] < end:
            if busy[j][0] > cursor:
                result.append((cursor, busy[j][0]))
            cursor = max(cursor, busy[j][1])
            j += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def free_windows(counter: CounterDay, services: frozenset[int]) -> list[Interval]:
    """Stretches of time in which this counter could take an appointment for `services`."""
    capable = _merge((s.start, s.end) for s in counter.staffed if services <= s.skills)
    return _subtract(capable, counter.busy)


def _align_up(instant: dt.datetime, slot_minutes: int, zone: ZoneInfo) -> dt.datetime:
    """The first grid point at or after `instant`; the grid counts local wall-clock minutes
    from midnight.

    Where a DST switch or midnight lies between here and the next grid point, the wall clock
    does not advance with real time (or the count restarts), so walk minute by minute there."""
    if instant.second or instant.microsecond:
        instant = instant.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    while True:
        local = instant.astimezone(zone)
        minute_of_day = local.hour * 60 + local.minute
        step = -minute_of_day % slot_minutes
        if step == 0:
            return instant
        target = instant + dt.timedelta(minutes=step)
        if (
            minute_of_day + step < MINUTES_PER_DAY
            and target.astimezone(zone).utcoffset() == local.utcoffset()
        ):
            instant = target
        else:
            instant += dt.timedelta(minutes=1)


@lru_cache(maxsize=256)
def _minutes(count: int) -> dt.timedelta:
    """A timedelta of `count` minutes, built once: _starts_in needs two for every free window of
    a day (about 60 on a busy day), and building one costs more than a cache lookup."""
    return dt.timedelta(minutes=count)


def _starts_in(
    window: Interval,
    minutes: int,
    slot_minutes: int,
    zone: ZoneInfo,
    earliest: dt.datetime,
):
    start, end = window
    duration, step = _minutes(minutes), _minutes(slot_minutes)
    # Grid points are `step` apart in real time except across a DST switch (see _align_up).
    regular = 60 % slot_minutes == 0
    candidate = _align_up(max(start, earliest), slot_minutes, zone)
    while candidate + duration <= end:
        yield candidate
        if regular:
            candidate += step
        else:
            candidate = _align_up(candidate + _minutes(1), slot_minutes, zone)


def free_starts(
    counters: Iterable[CounterDay],
    services: frozenset[int],
    minutes: int,
    slot_minutes: int,
    zone: ZoneInfo,
    earliest: dt.datetime,
) -> dict[dt.datetime, list[int]]:
    """Every free start time (UTC) with the counters that can take it, in counter order."""
    starts: dict[dt.datetime, list[int]] = {}
    for counter in counters:
        for window in free_windows(counter, services):
            for start in _starts_in(window, minutes, slot_minutes, zone, earliest):
                starts.setdefault(start, []).append(counter.counter_id)
    return dict(sorted(starts.items()))


def first_free_start(
    counters: Iterable[CounterDay],
    services: frozenset[int],
    minutes: int,
    slot_minutes: int,
    zone: ZoneInfo,
    earliest: dt.datetime,
) -> dt.datetime | None:
    """The earliest free start of a day, or None; stops at the first one found per counter."""
    firsts = (
        _first_start(counter, services, minutes, slot_minutes, zone, earliest)
        for counter in counters
    )
    return min((start for start in firsts if start is not None), default=None)


def _first_start(counter, services, minutes, slot_minutes, zone, earliest) -> dt.datetime | None:
    for window in free_windows(counter, services):  # in time order
        start = next(_starts_in(window, minutes, slot_minutes, zone, earliest), None)
        if start is not None:
            return start
    return None


def has_free_start(
    counters: Iterable[CounterDay],
    services: frozenset[int],
    minutes: int,
    slot_minutes: int,
    zone: ZoneInfo,
    earliest: dt.datetime,
) -> bool:
    """Whether a day has any free start: stops at the first one found."""
    for counter in counters:
        for window in free_windows(counter, services):
            for _start in _starts_in(window, minutes, slot_minutes, zone, earliest):
                return True
    return False
