"""Statistics per office and date range, aggregated by the database (GROUP BY).

Every query groups by local day or hour of day and returns a few hundred rows for a year, once
per piece of the range with a fixed UTC offset (`periods.Range.segments`). Nothing here reads a
citizen's name, email or phone: anonymised rows count the same.

Counter utilisation is booked minutes (a SQL sum per counter) over staffed minutes, which come
from the slot engine's own schedule (`schedules.staffing`) but are worked out once per kind of
day, not once per date: a year of statistics never assembles a year of slot-engine days.

Waiting time runs from a ticket's arrival (check-in) to its first call in the `Call` table (a
recall does not make the wait longer); service time from start to finish of the ticket.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from terminvergabe.admin.periods import Range, local_day, local_hour, minutes_between
from terminvergabe.booking.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    Counter,
    Office,
    OfficeMembership,
    Service,
    ShiftException,
    ShiftPattern,
)
from terminvergabe.booking.schedules import staffing
from terminvergabe.counter.models import Call, Ticket
from terminvergabe.db import db
from terminvergabe.time import daterange, local_date

# Upper bounds (minutes) of the histogram bins; the last bin is open ("60+").
BINS = (5, 10, 15, 20, 30, 45, 60)


def bin_labels() -> list[str]:
    lows = (0, *BINS)
    return [f"{lo}–{hi}" for lo, hi in zip(lows, BINS, strict=False)] + [f"{BINS[-1]}+"]


def bin_index(minutes):
    """The histogram bin of a number of minutes, as a SQL CASE."""
    return sa.case(*[(minutes < bound, index) for index, bound in enumerate(BINS)], else_=len(BINS))


# -- appointments ----------------------------------------------------------------------------


@dataclass
class Counts:
    booked: int = 0
    cancelled: int = 0
    no_shows: int = 0
    done: int = 0
    walk_ins: int = 0
    by_day: dict[dt.date, dict[str, int]] = field(default_factory=dict)


def appointment_counts(period: Range) -> Counts:
    """Booked (ever confirmed), cancelled after booking, no-shows and done, by local day of the
    appointment. Holds that lapsed never count."""
    rows = []
    for seg_start, seg_end, offset in period.segments:
        day = local_day(Appointment.start_at, offset)
        rows += db.session.execute(
            sa.select(day, Appointment.status, sa.func.count())
            .where(
                Appointment.office_id == period.office.id,
                Appointment.start_at >= seg_start,
                Appointment.start_at < seg_end,
                Appointment.confirmed_at.is_not(None),
            )
            .group_by(day, Appointment.status)
        ).all()
    counts = Counts()
    by_day: dict[dt.date, Tally] = defaultdict(Tally)
    keys = {
        AppointmentStatus.CANCELLED: "cancelled",
        AppointmentStatus.NO_SHOW: "no_shows",
        AppointmentStatus.DONE: "done",
    }
    for day_text, status, number in rows:
        day = dt.date.fromisoformat(day_text)
        by_day[day]["booked"] += number
        counts.booked += number
        key = keys.get(status)
        if key:
            by_day[day][key] += number
            setattr(counts, key, getattr(counts, key) + number)
    counts.by_day = {day: dict(tally) for day, tally in sorted(by_day.items())}
    return counts


# -- tickets ---------------------------------------------------------------------------------


def walk_ins(period: Range) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(
            Ticket.office_id == period.office.id,
            period.within(Ticket.arrived_at),
            Ticket.appointment_id.is_(None),
        )
    )


@dataclass
class Distribution:
    """A histogram of minutes (counts per bin of BINS) with count and mean."""

    bins: list[int] = field(default_factory=lambda: [0] * (len(BINS) + 1))
    count: int = 0
    total: float = 0.0

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def add(self, index: int, count: int, total: float) -> None:
        self.bins[index] += count
        self.count += count
        self.total += total

    def quantile(self, q: float) -> str:
        """The bin label holding the q-quantile (bins are coarse, so is this)."""
        if not self.count:
            return ""
        seen = 0
        for index, number in enumerate(self.bins):
            seen += number
            if seen >= q * self.count:
                return bin_labels()[index]
        return bin_labels()[-1]


@dataclass
class Durations:
    by_service: dict[int, Distribution]
    by_hour: dict[int, Distribution]

    @property
    def overall(self) -> Distribution:
        total = Distribution()
        for dist in self.by_service.values():
            for index, number in enumerate(dist.bins):
                total.bins[index] += number
            total.count += dist.count
            total.total += dist.total
        return total


def waiting_times(period: Range) -> Durations:
    """Arrival to the first call, by service and by local hour of arrival."""

    def first_calls(since: dt.datetime):
        # A call comes after the arrival: calls before the segment cannot be a first call in it.
        first = (
            sa.select(Call.ticket_id, sa.func.min(Call.called_at).label("called_at"))
            .where(Call.office_id == period.office.id, Call.called_at >= since)
            .group_by(Call.ticket_id)
            .subquery("first_call")
        )
        return first.c.called_at, (first, first.c.ticket_id == Ticket.id)

    return _durations(period, Ticket.arrived_at, first_calls)


def service_times(period: Range) -> Durations:
    """Start to finish of the service, by service and by local hour of the start."""
    return _durations(period, Ticket.started_at, lambda _since: (Ticket.finished_at, None))


def _durations(period: Range, start_col, end_of) -> Durations:
    """Distribution of (end - start) minutes of the office's tickets by service and by local
    hour of the start; `end_of(segment start)` gives the end column and a join it needs."""
    result = Durations({}, {})
    for seg_start, seg_end, offset in period.segments:
        end_col, join = end_of(seg_start)
        spans = sa.select(
            Ticket.service_id.label("service_id"),
            local_hour(start_col, offset).label("hour"),
            minutes_between(start_col, end_col).label("minutes"),
        ).select_from(Ticket)
        if join is not None:
            spans = spans.join(*join)
        # Minutes computed once per row (a materialised CTE), not once per CASE branch.
        spans = (
            spans.where(
                Ticket.office_id == period.office.id,
                start_col >= seg_start,
                start_col < seg_end,
                end_col.is_not(None),
            )
            .cte("spans")
            .prefix_with("MATERIALIZED")
        )
        index = bin_index(spans.c.minutes)
        rows = db.session.execute(
            sa.select(
                spans.c.service_id,
                spans.c.hour,
                index,
                sa.func.count(),
                sa.func.sum(spans.c.minutes),
            ).group_by(spans.c.service_id, spans.c.hour, index)
        ).all()
        for service_id, local, bin_, number, total in rows:
            total = float(total or 0)  # PostgreSQL sums to Decimal
            result.by_service.setdefault(service_id, Distribution()).add(bin_, number, total)
            result.by_hour.setdefault(local, Distribution()).add(bin_, number, total)
    result.by_hour = dict(sorted(result.by_hour.items()))
    return result


# -- utilisation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Utilisation:
    counter: Counter
    staffed_minutes: float
    booked_minutes: float

    @property
    def ratio(self) -> float | None:
        return self.booked_minutes / self.staffed_minutes if self.staffed_minutes else None


def _day_types(period: Range):
    """A key per date of the range: dates with the same key have the same staffed minutes.

    Staffing depends on the weekday (opening hours, weekly shifts), on which weekly shifts are
    valid that day, on dated exceptions and, through the length of a day, on a clock change;
    a date with an exception or a clock change is a type of its own. A year comes to a few
    dozen types."""
    office = period.office
    by_weekday = defaultdict(list)
    for pattern_id, weekday, valid_from, valid_until in db.session.execute(
        sa.select(
            ShiftPattern.id, ShiftPattern.weekday, ShiftPattern.valid_from, ShiftPattern.valid_until
        )
        .join(Counter)
        .where(Counter.office_id == office.id)
    ):
        by_weekday[weekday].append(
            (pattern_id, valid_from or dt.date.min, valid_until or dt.date.max)
        )
    own_types = set(
        db.session.scalars(
            sa.select(ShiftException.date)
            .join(
                OfficeMembership,
                OfficeMembership.staff_member_id == ShiftException.staff_member_id,
            )
            .where(
                OfficeMembership.office_id == office.id,
                ShiftException.date >= period.first,
                ShiftException.date <= period.last,
            )
        )
    )
    own_types |= {local_date(start, office.zone) for start, _end, _o in period.segments[1:]}
    for day in daterange(period.first, period.last):
        if day in own_types:
            yield day, day
            continue
        weekday = day.weekday()
        valid = tuple(i for i, lo, hi in by_weekday[weekday] if lo <= day <= hi)
        yield day, (weekday, valid)


def _merged_minutes(intervals) -> float:
    """Minutes covered by (start, end) intervals that may overlap (two clerks at one counter)."""
    total, reach = 0.0, None
    for lo, hi in sorted((i.start, i.end) for i in intervals):
        if reach is not None and lo < reach:
            lo = reach
        if hi > lo:
            total += (hi - lo).total_seconds() / 60
        reach = hi if reach is None else max(reach, hi)
    return total


def staffed_minutes(period: Range) -> dict[int, float]:
    """Minutes each counter was staffed (office open, someone on shift), on the schedule the
    slot engine uses (`schedules.staffing`), worked out once per type of day (`_day_types`)
    instead of once per date; holidays and closures count nothing."""
    plan = staffing(period.office)
    per_type: dict[object, dict[int, float]] = {}
    totals: dict[int, float] = defaultdict(float)
    for day, kind in _day_types(period):
        if plan.is_closed(day):
            continue
        minutes = per_type.get(kind)
        if minutes is None:
            minutes = {c: _merged_minutes(found) for c, found in plan.staffed(day).items()}
            per_type[kind] = minutes
        for counter_id, value in minutes.items():
            totals[counter_id] += value
    return totals


def utilisation(period: Range) -> list[Utilisation]:
    """Booked minutes / staffed minutes per counter."""
    minutes = minutes_between(Appointment.start_at, Appointment.end_at)
    booked = dict(
        db.session.execute(
            sa.select(Appointment.counter_id, sa.func.sum(minutes))
            .where(
                Appointment.office_id == period.office.id,
                period.within(Appointment.start_at),
                Appointment.status.in_(OCCUPYING_STATUSES),
            )
            .group_by(Appointment.counter_id)
        ).all()
    )
    staffed = staffed_minutes(period)
    counters = db.session.scalars(
        sa.select(Counter)
        .where(Counter.office_id == period.office.id)
        .order_by(Counter.position, Counter.id)
    ).all()
    return [
        Utilisation(c, staffed.get(c.id, 0.0), float(booked.get(c.id) or 0.0)) for c in counters
    ]


# -- services booked -------------------------------------------------------------------------


def services_booked(period: Range) -> dict[int, int]:
    """Quantity of each service in booked appointments (ever confirmed) of the range."""
    rows = db.session.execute(
        sa.select(AppointmentItem.service_id, sa.func.sum(AppointmentItem.quantity))
        .join(Appointment)
        .where(
            Appointment.office_id == period.office.id,
            period.within(Appointment.start_at),
            Appointment.confirmed_at.is_not(None),
        )
        .group_by(AppointmentItem.service_id)
    ).all()
    return {service_id: int(total) for service_id, total in rows}


@dataclass
class Report:
    period: Range
    counts: Counts
    waiting: Durations
    service_time: Durations
    utilisation: list[Utilisation]
    services: dict[int, Service]
    services_booked: dict[int, int]


def report(office: Office, first: dt.date, last: dt.date, now: dt.datetime) -> Report:
    period = Range(office, first, last)
    counts = appointment_counts(period)
    counts.walk_ins = walk_ins(period)
    services = {o.service_id: o.service for o in office.offers}
    return Report(
        period=period,
        counts=counts,
        waiting=waiting_times(period),
        service_time=service_times(period),
        utilisation=utilisation(period),
        services=services,
        services_booked=services_booked(period),
    )


# -- a municipality's offices side by side ---------------------------------------------------


@dataclass
class OfficeSummary:
    """The figures of one office for a period, for the municipality's overview."""

    office: Office
    counts: Counts
    waiting: Distribution

    @staticmethod
    def total(rows: list[OfficeSummary]) -> tuple[Counts, Distribution]:
        counts, waiting = Counts(), Distribution()
        for row in rows:
            for key in ("booked", "cancelled", "no_shows", "done", "walk_ins"):
                setattr(counts, key, getattr(counts, key) + getattr(row.counts, key))
            for index, number in enumerate(row.waiting.bins):
                waiting.bins[index] += number
            waiting.count += row.waiting.count
            waiting.total += row.waiting.total
        return counts, waiting


def office_summary(office: Office, first: dt.date, last: dt.date) -> OfficeSummary:
    period = Range(office, first, last)
    counts = appointment_counts(period)
    counts.walk_ins = walk_ins(period)
    return OfficeSummary(office, counts, waiting_times(period).overall)
