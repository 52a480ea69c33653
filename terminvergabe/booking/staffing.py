"""An office's staffing as plain data: who works at which counter when, for which services,
within the opening hours and outside closures and holidays. `load_staffing` reads it from the
database; `staffing` keeps it per schedule stamp (schedule_cache.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from terminvergabe.booking import schedule_cache
from terminvergabe.booking.models import (
    Closure,
    Counter,
    Offer,
    Office,
    OfficeMembership,
    OpeningHours,
    Service,
    ShiftException,
    ShiftExceptionKind,
    ShiftPattern,
    StaffMember,
)
from terminvergabe.booking.slots import StaffedInterval
from terminvergabe.db import db
from terminvergabe.time import local_to_utc


@lru_cache(maxsize=64)
def holiday_calendar(bundesland: str, year: int) -> dict[dt.date, str]:
    return dict(holidays.Germany(subdiv=bundesland, years=year))


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


def _wall_to_utc(day: dt.date, wall: dt.time, zone) -> dt.datetime:
    """The instant of a local wall time; a time in the hour skipped when clocks go forward
    counts as the moment of the switch (a shift from 02:30 starts at 03:00 summer time)."""
    instant = local_to_utc(day, wall, zone)
    probe = dt.datetime.combine(day, wall)
    while instant is None:
        probe += dt.timedelta(minutes=1)
        instant = local_to_utc(probe.date(), probe.time(), zone)
    return instant


@dataclass(frozen=True)
class ServiceInfo:
    """A service the office offers (its offer, as plain data: what choosing it needs)."""

    id: int  # the catalogue service
    name: str
    duration_minutes: int
    max_quantity: int
    public: bool


class _Row:
    """A plain copy of a schedule row, safe to keep beyond its session."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


@dataclass
class Staffing:
    """An office's counters, skills, shifts, opening hours and closures as plain data, with the
    staffed intervals of each day worked out once (see schedule_cache.py). Read by
    `load_staffing`."""

    zone: ZoneInfo
    bundesland: str
    counter_ids: list[int]
    counter_skills: dict[int, frozenset[int]]
    patterns: list[_Row]
    exceptions: dict[dt.date, list[_Row]]
    staff_skills: dict[int, frozenset[int]]
    hours: dict[int, list[tuple[dt.time, dt.time]]]
    closures: list[tuple[dt.date, dt.date]]
    services: dict[int, ServiceInfo]
    _days: dict[dt.date, dict[int, tuple[StaffedInterval, ...]]] = field(default_factory=dict)

    def is_closed(self, day: dt.date) -> bool:
        return (
            bool(holiday_calendar(self.bundesland, day.year).get(day))
            or not self.hours.get(day.weekday())
            or any(first <= day <= last for first, last in self.closures)
        )

    def staffed(self, day: dt.date) -> dict[int, tuple[StaffedInterval, ...]]:
        """Counter id -> when it is staffed on `day`, and for which services."""
        found = self._days.get(day)
        if found is None:
            found = {} if self.is_closed(day) else self._work_out(day)
            self._days[day] = found
        return found

    def _work_out(self, day: dt.date) -> dict[int, tuple[StaffedInterval, ...]]:
        staffed = defaultdict(list)
        hours = self.hours[day.weekday()]
        for staff_id, counter_id, start, end in _shifts_on(day, self.patterns, self.exceptions):
            if counter_id not in self.counter_skills:
                continue
            skills = self.counter_skills[counter_id]
            if self.staff_skills.get(staff_id):
                skills = skills & self.staff_skills[staff_id]
            for lo, hi in _clip(start, end, hours):
                lo_at, hi_at = _wall_to_utc(day, lo, self.zone), _wall_to_utc(day, hi, self.zone)
                if lo_at < hi_at:
                    staffed[counter_id].append(StaffedInterval(lo_at, hi_at, skills))
        return {counter_id: tuple(found) for counter_id, found in staffed.items()}


def _active_counters(office: Office) -> list[Counter]:
    return db.session.scalars(
        sa.select(Counter)
        .where(Counter.office_id == office.id, Counter.active)
        .options(selectinload(Counter.skills))
        .order_by(Counter.position, Counter.id)
    ).all()


def _shift_patterns(counter_ids: list[int]) -> list[_Row]:
    return [
        _Row(**row._asdict())
        for row in db.session.execute(
            sa.select(
                ShiftPattern.staff_member_id,
                ShiftPattern.counter_id,
                ShiftPattern.weekday,
                ShiftPattern.start_local,
                ShiftPattern.end_local,
                ShiftPattern.valid_from,
                ShiftPattern.valid_until,
            )
            .join(StaffMember)
            .where(ShiftPattern.counter_id.in_(counter_ids), StaffMember.active)
        )
    ]


def _staff_of(office: Office, counter_ids: list[int]) -> sa.Select:
    """The ids of the office's staff: its members, and whoever has shifts at its counters."""
    return sa.union(
        sa.select(OfficeMembership.staff_member_id).where(OfficeMembership.office_id == office.id),
        sa.select(ShiftPattern.staff_member_id).where(ShiftPattern.counter_id.in_(counter_ids)),
    )


def _shift_exceptions(office: Office, counter_ids: list[int]) -> dict[dt.date, list[_Row]]:
    exceptions = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            ShiftException.date,
            ShiftException.staff_member_id,
            ShiftException.kind,
            ShiftException.counter_id,
            ShiftException.start_local,
            ShiftException.end_local,
        )
        .join(StaffMember)
        .where(StaffMember.id.in_(_staff_of(office, counter_ids)), StaffMember.active)
    ):
        exceptions[row.date].append(_Row(**row._asdict()))
    return exceptions


def _staff_skills(office: Office, counter_ids: list[int]) -> dict[int, frozenset[int]]:
    return {
        staff.id: frozenset(s.id for s in staff.skills)
        for staff in db.session.scalars(
            sa.select(StaffMember)
            .where(StaffMember.id.in_(_staff_of(office, counter_ids)))
            .options(selectinload(StaffMember.skills))
        )
    }


def _opening_hours(office: Office) -> dict[int, list[tuple[dt.time, dt.time]]]:
    hours = defaultdict(list)
    for start, end, weekday in db.session.execute(
        sa.select(OpeningHours.start_local, OpeningHours.end_local, OpeningHours.weekday).where(
            OpeningHours.office_id == office.id
        )
    ):
        hours[weekday].append((start, end))
    return hours


def _closures(office: Office) -> list[tuple[dt.date, dt.date]]:
    return [
        (first, last)
        for first, last in db.session.execute(
            sa.select(Closure.first_day, Closure.last_day).where(Closure.office_id == office.id)
        )
    ]


def _services(office: Office) -> dict[int, ServiceInfo]:
    return {
        row.id: ServiceInfo(**row._asdict())
        for row in db.session.execute(
            sa.select(
                Service.id,
                Service.name,
                Offer.duration_minutes,
                Offer.max_quantity,
                Offer.public,
            )
            .join(Offer.service)
            .where(Offer.office_id == office.id, Offer.active, Service.active)
        )
    }


def load_staffing(office: Office) -> Staffing:
    """Read the office's schedule from the database into a plain Staffing."""
    counters = _active_counters(office)
    counter_ids = [c.id for c in counters]
    return Staffing(
        zone=office.zone,
        bundesland=office.bundesland,
        counter_ids=counter_ids,
        counter_skills={c.id: frozenset(s.id for s in c.skills) for c in counters},
        patterns=_shift_patterns(counter_ids),
        exceptions=_shift_exceptions(office, counter_ids),
        staff_skills=_staff_skills(office, counter_ids),
        hours=_opening_hours(office),
        closures=_closures(office),
        services=_services(office),
    )


def staffing(office: Office) -> Staffing:
    """The office's staffing, from memory while its schedule stamp is unchanged."""
    db.session.flush()  # changes made in this session restamp the office before we look
    return schedule_cache.cached(office.schedule_stamp, lambda: load_staffing(office))
