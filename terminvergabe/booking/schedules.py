"""From the database to the slot engine's plain data: which days are bookable at all, and what
is taken on them (who works when: staffing.py)."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa

from terminvergabe.booking.models import (
    CLAIM_UNIT_MINUTES,
    HOLDING_STATUSES,
    OCCUPYING_STATUSES,
    Appointment,
    Closure,
    Counter,
    Office,
    SlotClaim,
)
from terminvergabe.booking.slots import CounterDay
from terminvergabe.booking.staffing import holiday_calendar, staffing
from terminvergabe.db import db
from terminvergabe.time import daterange, local_date, local_midnight

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


def holiday_name(office: Office, day: dt.date) -> str | None:
    return holiday_calendar(office.bundesland, day.year).get(day)


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
