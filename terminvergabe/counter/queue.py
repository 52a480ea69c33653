"""The queue engine: who is called next at a counter. Pure Python over plain data.

Rules, in this order:
1. A counter only gets tickets for services it can do (its skills), and a ticket transferred to
   one counter only goes there.
2. Priority tickets first (oldest place in line first).
3. A walk-in is called before due appointments when appointments have been called
   `walk_in_every` times in a row, or when it has waited `walk_in_max_wait` — walk-ins are not
   starved on a busy day.
4. Checked-in appointments whose time has come, by appointment time.
5. Walk-ins fill the gaps, by place in line.
6. Appointments that checked in early, when nothing else waits.

A ticket's place in line is its `queued_at`; a parked or transferred ticket keeps it, so it
returns to a fair place rather than to the end.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

APPOINTMENT = "appointment"
WALK_IN = "walk_in"


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    priority: bool
    due_at: dt.datetime
    queued_at: dt.datetime
    service_id: int
    target_counter_id: int | None = None


@dataclass(frozen=True)
class Policy:
    walk_in_every: int = 3
    walk_in_max_wait: dt.timedelta = dt.timedelta(minutes=45)


def eligible(entry: Entry, counter_id: int | None, skills: Iterable[int] | None) -> bool:
    if skills is not None and entry.service_id not in skills:
        return False
    return entry.target_counter_id is None or entry.target_counter_id == counter_id


def _pick(entries: Sequence[Entry], now: dt.datetime, policy: Policy, streak: int):
    if not entries:
        return None
    priority = [e for e in entries if e.priority]
    if priority:
        return min(priority, key=lambda e: (e.queued_at, e.id))
    walk_ins = sorted((e for e in entries if e.kind == WALK_IN), key=lambda e: (e.queued_at, e.id))
    appointments = [e for e in entries if e.kind != WALK_IN]
    due = sorted(
        (e for e in appointments if e.due_at <= now), key=lambda e: (e.due_at, e.queued_at, e.id)
    )
    if walk_ins:
        starving = now - walk_ins[0].queued_at >= policy.walk_in_max_wait
        if not due or streak >= policy.walk_in_every or starving:
            return walk_ins[0]
    if due:
        return due[0]
    return min(appointments, key=lambda e: (e.due_at, e.queued_at, e.id))


def next_streak(streak: int, entry: Entry) -> int:
    """Appointments called in a row since the last walk-in (priority tickets do not count)."""
    if entry.kind == WALK_IN:
        return 0
    return streak if entry.priority else streak + 1


def next_for(
    entries: Iterable[Entry],
    now: dt.datetime,
    counter_id: int | None = None,
    skills: Iterable[int] | None = None,
    policy: Policy = Policy(),  # noqa: B008  (frozen, so sharing the default is safe)
    streak: int = 0,
) -> Entry | None:
    """The ticket this counter should call now, or None."""
    skills = None if skills is None else frozenset(skills)
    return _pick([e for e in entries if eligible(e, counter_id, skills)], now, policy, streak)


def order(
    entries: Iterable[Entry],
    now: dt.datetime,
    counter_id: int | None = None,
    skills: Iterable[int] | None = None,
    policy: Policy = Policy(),  # noqa: B008
    streak: int = 0,
) -> list[Entry]:
    """The order in which repeated "call next" would call these tickets, if nobody new came."""
    skills = None if skills is None else frozenset(skills)
    remaining = [e for e in entries if eligible(e, counter_id, skills)]
    result = []
    while remaining:
        entry = _pick(remaining, now, policy, streak)
        result.append(entry)
        remaining.remove(entry)
        streak = next_streak(streak, entry)
    return result


def typical_service_minutes(recent: Sequence[dt.timedelta], default_minutes: float) -> float:
    """The median of recent service times (start -> finish), or the default when none."""
    minutes = [d.total_seconds() / 60 for d in recent if d.total_seconds() > 0]
    return statistics.median(minutes) if minutes else float(default_minutes)


def estimated_wait_minutes(ahead: int, counters: int, service_minutes: float) -> int:
    """Minutes until a ticket with `ahead` tickets before it is called, with `counters` open
    counters each taking `service_minutes` per ticket."""
    if ahead <= 0:
        return 0
    return math.ceil(math.ceil(ahead / max(counters, 1)) * service_minutes)
