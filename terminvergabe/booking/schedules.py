"""From the database to the slot engine's plain data: who works when, what is taken, which days
are bookable at all."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import holidays
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from terminvergabe.booking import schedule_cache
from terminvergabe.booking.models import (
    CLAIM_UNIT_MINUTES,
    HOLDING_STATUSES,
    OCCUPYING_STATUSES,
    Appointment,
    Closure,
    Counter,
    Office,
    OpeningHours,
    Service,
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


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Ascending dates as runs of consecutive days (first, last)."""
    runs: list[list[dt.date]] = []
    for day in days:
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


@lru_cache(maxsize=64)
def _busy_statement(ranges: int, exclude: bool):
    """The query of _busy_by_counter_day for `ranges` time ranges, built once: it runs on every
    availability question, and building SQLAlchemy expressions costs more than running it.
    Parameters: office, now, exclude, lo0/hi0, lo1/hi1, ...

    Rows (counter id, start, end, lapse): live appointments, then the cooling claims of the
    office's active counters with no end (one claim unit each). One statement, one round trip.
    Nothing is expanded at execution (the statuses are fixed parameters, the counters a
    subquery), so the compiled statement is used as it is."""

    def within(column):
        return sa.or_(
            *(
                sa.and_(column >= sa.bindparam(f"lo{i}"), column < sa.bindparam(f"hi{i}"))
                for i in range(ranges)
            )
        )

    def status_in(statuses):
        return Appointment.status.in_([sa.literal(status, sa.String) for status in statuses])

    holding = status_in(HOLDING_STATUSES)
    now = sa.bindparam("now")
    office = sa.bindparam("office")
    appointments = sa.select(
        Appointment.counter_id,
        Appointment.start_at,
        Appointment.end_at,
        sa.case((holding, Appointment.hold_expires_at), else_=sa.null()),
    ).where(
        Appointment.office_id == office,
        within(Appointment.start_at),
        sa.or_(
            status_in(OCCUPYING_STATUSES),
            sa.and_(holding, Appointment.hold_expires_at > now),
        ),
    )
    if exclude:
        appointments = appointments.where(Appointment.id != sa.bindparam("exclude"))
    counters = sa.select(Counter.id).where(Counter.office_id == office, Counter.active)
    cooling = sa.select(
        SlotClaim.counter_id, SlotClaim.start_at, sa.null(), SlotClaim.expires_at
    ).where(
        SlotClaim.appointment_id.is_(None),
        SlotClaim.counter_id.in_(counters),
        within(SlotClaim.start_at),
        SlotClaim.expires_at > now,
    )
    return sa.union_all(appointments, cooling)


def _busy_by_counter_day(office, days, now, exclude_appointment_id):
    """Taken intervals per (counter, local date) of the given ascending dates: live
    appointments, and claims that outlive a cancellation during the office's cooldown; and per
    date the earliest moment one of them lapses by itself (a hold, a cooldown).

    This mirrors the claims (slot_claim) at a fifth of the rows: the claims stay the arbiter at
    hold time, this only decides what to offer. Both parts of the query are answered from an
    index (ix_appointment_office_start_busy; the few cooling claims by their empty appointment
    id) and select plain columns."""
    zone = office.zone
    midnights = {day: local_midnight(day, zone) for day in days}
    runs = _runs(days)
    params = {"office": office.id, "now": now, "exclude": exclude_appointment_id}
    for i, (first, last) in enumerate(runs):
        params[f"lo{i}"] = midnights[first]
        params[f"hi{i}"] = local_midnight(last + dt.timedelta(days=1), zone)
    # On the session's connection: plain rows, without the ORM's loading machinery (the caller
    # flushed through staffing()).
    statement = _busy_statement(len(runs), exclude_appointment_id is not None)
    rows = db.session.connection().execute(statement, params).all()  # one fetch, not per row
    # Each interval's local date by bisecting the local midnights (no time zone conversion per
    # row); every row starts inside one of the ranges, so it belongs to the day found.
    order = list(midnights)
    starts = [midnights[day] for day in order]
    intervals = defaultdict(list)
    lapses: dict[dt.date, dt.datetime] = {}
    for counter_id, start, end, lapse in rows:
        day = order[bisect_right(starts, start) - 1]
        intervals[(counter_id, day)].append((start, end or start + UNIT))  # a claim: one unit
        if lapse is not None and (day not in lapses or lapse < lapses[day]):
            lapses[day] = lapse
    return {key: tuple(sorted(found)) for key, found in intervals.items()}, lapses


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
    """An active service of the office as plain data (what choosing it needs)."""

    id: int
    name: str
    duration_minutes: int
    max_quantity: int
    public: bool


class _Row:
    """A plain copy of a schedule row, safe to keep beyond its session."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


class Staffing:
    """An office's counters, skills, shifts, opening hours and closures as plain data, with the
    staffed intervals of each day worked out once (see schedule_cache.py)."""

    def __init__(self, office: Office):
        self.zone = office.zone
        self.bundesland = office.bundesland
        counters = db.session.scalars(
            sa.select(Counter)
            .where(Counter.office_id == office.id, Counter.active)
            .options(selectinload(Counter.skills))
            .order_by(Counter.position, Counter.id)
        ).all()
        self.counter_ids = [c.id for c in counters]
        self.counter_skills = {c.id: frozenset(s.id for s in c.skills) for c in counters}
        self.patterns = [
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
                .where(ShiftPattern.counter_id.in_(self.counter_ids), StaffMember.active)
            )
        ]
        self.exceptions = defaultdict(list)
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
            .where(StaffMember.office_id == office.id, StaffMember.active)
        ):
            self.exceptions[row.date].append(_Row(**row._asdict()))
        self.staff_skills = {
            staff.id: frozenset(s.id for s in staff.skills)
            for staff in db.session.scalars(
                sa.select(StaffMember)
                .where(StaffMember.office_id == office.id)
                .options(selectinload(StaffMember.skills))
            )
        }
        self.hours = defaultdict(list)
        for start, end, weekday in db.session.execute(
            sa.select(OpeningHours.start_local, OpeningHours.end_local, OpeningHours.weekday).where(
                OpeningHours.office_id == office.id
            )
        ):
            self.hours[weekday].append((start, end))
        self.closures = list(
            db.session.execute(
                sa.select(Closure.first_day, Closure.last_day).where(Closure.office_id == office.id)
            )
        )
        self.services = {
            row.id: ServiceInfo(**row._asdict())
            for row in db.session.execute(
                sa.select(
                    Service.id,
                    Service.name,
                    Service.duration_minutes,
                    Service.max_quantity,
                    Service.public,
                ).where(Service.office_id == office.id, Service.active)
            )
        }
        self._days: dict[dt.date, dict[int, tuple[StaffedInterval, ...]]] = {}

    def is_closed(self, day: dt.date) -> bool:
        return (
            bool(_holiday_calendar(self.bundesland, day.year).get(day))
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


def staffing(office: Office) -> Staffing:
    """The office's staffing, from memory while its schedule stamp is unchanged."""
    db.session.flush()  # changes made in this session restamp the office before we look
    return schedule_cache.cached(office.schedule_stamp, lambda: Staffing(office))


@dataclass(frozen=True)
class OpenDay:
    """One bookable date: its counters' staffed and busy times, and the earliest moment a hold
    or cooldown counted as busy lapses by itself (None: nothing lapses)."""

    counters: list[CounterDay]
    lapses_at: dt.datetime | None


def open_days(
    office: Office,
    days: list[dt.date],
    now: dt.datetime,
    exclude_appointment_id: int | None = None,
) -> dict[dt.date, OpenDay]:
    """The given ascending dates that have staffed counters, with their busy times."""
    plan = staffing(office)
    staffed_days = {day: plan.staffed(day) for day in days}
    staffed_days = {day: staffed for day, staffed in staffed_days.items() if staffed}
    if not staffed_days:
        return {}
    busy, lapses = _busy_by_counter_day(office, list(staffed_days), now, exclude_appointment_id)
    return {
        day: OpenDay(
            [
                CounterDay(counter_id, staffed[counter_id], busy.get((counter_id, day), ()))
                for counter_id in plan.counter_ids
                if counter_id in staffed
            ],
            lapses.get(day),
        )
        for day, staffed in staffed_days.items()
    }


def counter_days(
    office: Office,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    exclude_appointment_id: int | None = None,
) -> dict[dt.date, list[CounterDay]]:
    """Each open date from first to last with its counters' staffed and busy times."""
    found = open_days(office, list(daterange(first, last)), now, exclude_appointment_id)
    return {day: open_day.counters for day, open_day in found.items()}
