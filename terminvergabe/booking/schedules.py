"""From the database to the slot engine's plain data: who works when, what is taken, which days
are bookable at all."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import holidays
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from terminvergabe.booking.models import (
    CLAIM_UNIT_MINUTES,
    Closure,
    Counter,
    Office,
    OpeningHours,
    ShiftException,
    ShiftExceptionKind,
    ShiftPattern,
    SlotClaim,
    StaffMember,
)
from terminvergabe.booking.slots import CounterDay, StaffedInterval
from terminvergabe.db import db
from terminvergabe.time import daterange, local_date, local_midnight, local_to_utc

UNIT = dt.timedelta(minutes=CLAIM_UNIT_MINUTES)


@dataclass(frozen=True)
class BookingWindow:
    """The dates a citizen may book now, and the earliest start time (lead time)."""

    first_day: dt.date
    last_day: dt.date
    earliest_start: dt.datetime


def booking_window(office: Office, now: dt.datetime) -> BookingWindow:
    rules = office.rules
    zone = office.zone
    local_now = now.astimezone(zone)
    # The newest day of the horizon becomes bookable at the office's release time.
    released = local_now.time() >= rules.release_time
    last_day = local_now.date() + dt.timedelta(days=rules.horizon_days - (0 if released else 1))
    earliest = now + dt.timedelta(minutes=rules.lead_minutes)
    return BookingWindow(local_date(earliest, zone), last_day, earliest)


@lru_cache(maxsize=64)
def _holiday_calendar(bundesland: str, year: int) -> dict[dt.date, str]:
    return dict(holidays.Germany(subdiv=bundesland, years=year))


def holiday_name(office: Office, day: dt.date) -> str | None:
    return _holiday_calendar(office.bundesland, day.year).get(day)


def closed_days(office: Office, first: dt.date, last: dt.date) -> set[dt.date]:
    """Public holidays of the office's Bundesland and the office's own closures."""
    closed = {d for d in daterange(first, last) if holiday_name(office, d)}
    closures = db.session.scalars(
        sa.select(Closure).where(
            Closure.office_id == office.id, Closure.first_day <= last, Closure.last_day >= first
        )
    )
    for closure in closures:
        closed.update(daterange(max(first, closure.first_day), min(last, closure.last_day)))
    return closed


def _clip(start: dt.time, end: dt.time, hours: list[tuple[dt.time, dt.time]]):
    """The parts of [start, end) inside the opening hours."""
    for open_, close in hours:
        lo, hi = max(start, open_), min(end, close)
        if lo < hi:
            yield lo, hi


def _minus(windows: list[tuple[dt.time, dt.time]], gap: tuple[dt.time, dt.time]):
    out = []
    for lo, hi in windows:
        if gap[1] <= lo or gap[0] >= hi:
            out.append((lo, hi))
            continue
        if lo < gap[0]:
            out.append((lo, gap[0]))
        if gap[1] < hi:
            out.append((gap[1], hi))
    return out


def _shifts_on(day, patterns, exceptions):
    """(staff_member_id, counter_id, start_local, end_local) worked on `day`."""
    weekday = day.weekday()
    absences = defaultdict(list)
    shifts = []
    for exc in exceptions.get(day, ()):
        if exc.kind == ShiftExceptionKind.ABSENCE:
            absences[exc.staff_member_id].append(
                (exc.start_local or dt.time.min, exc.end_local or dt.time.max)
            )
        else:
            shifts.append((exc.staff_member_id, exc.counter_id, exc.start_local, exc.end_local))
    for p in patterns:
        if p.weekday == weekday and (p.valid_from or day) <= day <= (p.valid_until or day):
            shifts.append((p.staff_member_id, p.counter_id, p.start_local, p.end_local))
    for staff_id, counter_id, start, end in shifts:
        windows = [(start, end)]
        for gap in absences.get(staff_id, ()):
            windows = _minus(windows, gap)
        for lo, hi in windows:
            yield staff_id, counter_id, lo, hi


def _busy_by_counter_day(office, counters, first, last, now, exclude_appointment_id):
    zone = office.zone
    query = sa.select(SlotClaim.counter_id, SlotClaim.start_at).where(
        SlotClaim.counter_id.in_([c.id for c in counters]),
        SlotClaim.start_at >= local_midnight(first, zone),
        SlotClaim.start_at < local_midnight(last + dt.timedelta(days=1), zone),
        sa.or_(SlotClaim.expires_at.is_(None), SlotClaim.expires_at > now),
    )
    if exclude_appointment_id is not None:
        query = query.where(
            sa.or_(
                SlotClaim.appointment_id.is_(None),
                SlotClaim.appointment_id != exclude_appointment_id,
            )
        )
    # One pass over the claims in time order: find each claim's local date by walking the
    # local midnights along (no time zone conversion per row), and merge adjacent units.
    days = list(daterange(first, last))
    midnights = [local_midnight(d, zone) for d in days]
    midnights.append(local_midnight(last + dt.timedelta(days=1), zone))
    index, next_midnight = 0, midnights[1]
    intervals = defaultdict(list)
    for counter_id, start in db.session.execute(query.order_by(SlotClaim.start_at)):
        while start >= next_midnight:
            index += 1
            next_midnight = midnights[index + 1]
        merged = intervals[(counter_id, days[index])]
        if merged and merged[-1][1] == start:
            merged[-1][1] = start + UNIT
        else:
            merged.append([start, start + UNIT])
    return {key: tuple((a, b) for a, b in merged) for key, merged in intervals.items()}


def _wall_to_utc(day: dt.date, wall: dt.time, zone) -> dt.datetime:
    """The instant of a local wall time; a time in the hour skipped when clocks go forward
    counts as the moment of the switch (a shift from 02:30 starts at 03:00 summer time)."""
    instant = local_to_utc(day, wall, zone)
    probe = dt.datetime.combine(day, wall)
    while instant is None:
        probe += dt.timedelta(minutes=1)
        instant = local_to_utc(probe.date(), probe.time(), zone)
    return instant


def counter_days(
    office: Office,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    exclude_appointment_id: int | None = None,
) -> dict[dt.date, list[CounterDay]]:
    """Each open date from first to last with its counters' staffed and busy times."""
    zone = office.zone
    counters = db.session.scalars(
        sa.select(Counter)
        .where(Counter.office_id == office.id, Counter.active)
        .options(selectinload(Counter.skills))
        .order_by(Counter.position, Counter.id)
    ).all()
    if not counters:
        return {}
    counter_skills = {c.id: frozenset(s.id for s in c.skills) for c in counters}
    patterns = db.session.scalars(
        sa.select(ShiftPattern)
        .join(StaffMember)
        .where(ShiftPattern.counter_id.in_(counter_skills), StaffMember.active)
    ).all()
    exceptions = defaultdict(list)
    for exc in db.session.scalars(
        sa.select(ShiftException)
        .join(StaffMember)
        .where(
            StaffMember.office_id == office.id,
            StaffMember.active,
            ShiftException.date.between(first, last),
        )
    ):
        exceptions[exc.date].append(exc)
    staff_skills = {
        staff.id: frozenset(s.id for s in staff.skills)
        for staff in db.session.scalars(
            sa.select(StaffMember)
            .where(StaffMember.office_id == office.id)
            .options(selectinload(StaffMember.skills))
        )
    }
    hours = defaultdict(list)
    for h in db.session.scalars(sa.select(OpeningHours).where(OpeningHours.office_id == office.id)):
        hours[h.weekday].append((h.start_local, h.end_local))
    closed = closed_days(office, first, last)
    busy = _busy_by_counter_day(office, counters, first, last, now, exclude_appointment_id)

    result = {}
    for day in daterange(first, last):
        if day in closed or not hours.get(day.weekday()):
            continue
        staffed = defaultdict(list)
        for staff_id, counter_id, start, end in _shifts_on(day, patterns, exceptions):
            if counter_id not in counter_skills:
                continue
            skills = counter_skills[counter_id]
            if staff_skills.get(staff_id):
                skills = skills & staff_skills[staff_id]
            for lo, hi in _clip(start, end, hours[day.weekday()]):
                lo_at, hi_at = _wall_to_utc(day, lo, zone), _wall_to_utc(day, hi, zone)
                if lo_at < hi_at:
                    staffed[counter_id].append(StaffedInterval(lo_at, hi_at, skills))
        if staffed:
            result[day] = [
                CounterDay(c.id, tuple(staffed[c.id]), busy.get((c.id, day), ()))
                for c in counters
                if staffed.get(c.id)
            ]
    return result
