"""Where and when is the earliest free time for a selection: the answer for a set of offices
of a municipality at once (a citizen searches a service, not an office).

The answer must equal asking each office in turn (availability.available_days, then the free
starts of its first free day), and cost little more than asking one: which offices offer the
whole selection is one query for all of them, the days come from the free days each process
keeps per office (schedule_cache.free_days), and the earliest start is worked out for the
first free day only, stopping at the first free time of each counter. When only the earliest
is wanted (`with_days=False`, a list of earliest times) the horizon is not read at all while
an office has a free time within its first SCAN_DAYS open days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from terminvergabe.booking import availability
from terminvergabe.booking.availability import Selection
from terminvergabe.booking.models import Offer, Office, Service
from terminvergabe.booking.schedules import booking_window, open_days
from terminvergabe.booking.slots import appointment_minutes, first_free_start
from terminvergabe.booking.staffing import staffing
from terminvergabe.db import db
from terminvergabe.time import daterange

# Open days read for the earliest time alone before the office's kept free days are asked:
# most offices have a free time on their next open day or the one after; one booked out for
# weeks is answered from the free days kept in memory rather than by reading its weeks afresh
# on every question.
SCAN_DAYS = 2


@dataclass(frozen=True)
class OfficeAnswer:
    """One office's answer: the days with a free time (None: not asked) and its earliest free
    start (None: no free time in its booking window)."""

    office: Office
    days: list[dt.date] | None
    earliest: dt.datetime | None


def offers_all(office: Office, selection: Selection) -> bool:
    """Whether the office offers every service of the selection to citizens, as many times,
    in at least one common way (in person, by phone or by video)."""
    return bool(offering([office], selection))


def offering(offices: Iterable[Office], selection: Selection) -> list[Office]:
    """The offices (in the given order) that offer every service of the selection to citizens,
    as many times, and in a way all of them share (one appointment is held in one way): one
    query for all of them."""
    offices = list(offices)
    if not offices or not selection:
        return []
    rows = db.session.execute(
        sa.select(Offer.office_id, Offer.service_id, Offer.max_quantity, Offer.modes)
        .join(Offer.service)
        .where(
            Offer.office_id.in_([office.id for office in offices]),
            Offer.service_id.in_(list(selection)),
            Offer.active,
            Offer.public,
            Service.active,
        )
    )
    covered: dict[int, int] = defaultdict(int)
    modes: dict[int, set[str]] = {}
    for office_id, service_id, most, offered in rows:
        if selection[service_id] <= most:
            covered[office_id] += 1
            ways = set(offered.split(","))
            modes[office_id] = modes[office_id] & ways if office_id in modes else ways
    return [o for o in offices if covered[o.id] == len(selection) and modes.get(o.id)]


def across(
    offices: Iterable[Office], selection: Selection, now: dt.datetime, with_days: bool = True
) -> list[OfficeAnswer]:
    """The answer of every office among `offices` that offers the whole selection, earliest
    first (offices without a free time last, by name). `with_days=False`: the earliest start
    only (`days` is None)."""
    answers = [
        _answer(office, selection, now, with_days) for office in offering(offices, selection)
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(answers, key=lambda a: (a.earliest or far, a.office.name, a.office.id))


def _answer(office: Office, selection: Selection, now: dt.datetime, with_days: bool):
    if not with_days:
        earliest = first_start(office, selection, _first_open_days(office, now), now)
        if earliest is not None:
            return OfficeAnswer(office, None, earliest)
    days = availability.available_days(office, selection, now)
    earliest = first_start(office, selection, days[:1], now)
    return OfficeAnswer(office, days if with_days else None, earliest)


def _first_open_days(office: Office, now: dt.datetime) -> list[dt.date]:
    """The first SCAN_DAYS days of the booking window on which a counter is staffed (known
    from the staffing in memory, without a query)."""
    plan = staffing(office)
    window = booking_window(office, now)
    found = []
    for day in daterange(window.first_day, window.last_day):
        if plan.staffed(day):
            found.append(day)
            if len(found) == SCAN_DAYS:
                break
    return found


def first_start(
    office: Office, selection: Selection, days: list[dt.date], now: dt.datetime
) -> dt.datetime | None:
    """The earliest free start on the given ascending days (read afresh, one query), or None.
    The office must offer the selection (see `offering`)."""
    if not days:
        return None
    services = staffing(office).services
    durations = {service_id: services[service_id].duration_minutes for service_id in selection}
    minutes = appointment_minutes(selection, durations, office.slot_minutes)
    window = booking_window(office, now)
    found = open_days(office, days, now)
    for day in days:
        open_day = found.get(day)
        if open_day is None:
            continue
        start = first_free_start(
            open_day.counters,
            frozenset(selection),
            minutes,
            office.slot_minutes,
            office.zone,
            window.earliest_start,
        )
        if start is not None:
            return start
    return None
