"""Where and when is the earliest free time for a selection: the answer for a set of offices
of a municipality at once (a citizen searches a service, not an office)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terminvergabe.booking import availability
from terminvergabe.booking.availability import Selection
from terminvergabe.booking.models import Office


@dataclass(frozen=True)
class OfficeAnswer:
    """One office's answer: the days with a free time and its earliest free start (None: no
    free time in its booking window)."""

    office: Office
    days: list[dt.date]
    earliest: dt.datetime | None


def offers_all(office: Office, selection: Selection) -> bool:
    """Whether the office offers every service of the selection to citizens, as many times."""
    offers = {o.service_id: o for o in office.public_offers}
    return all(
        service_id in offers and quantity <= offers[service_id].max_quantity
        for service_id, quantity in selection.items()
    )


def across(offices: list[Office], selection: Selection, now: dt.datetime) -> list[OfficeAnswer]:
    """The answer of every office among `offices` that offers the whole selection, earliest
    first (offices without a free time last, by name)."""
    answers = []
    for office in offices:
        if not offers_all(office, selection):
            continue
        days = availability.available_days(office, selection, now)
        earliest = None
        if days:
            starts = availability.available_starts(office, selection, days[0], now)
            earliest = min(starts) if starts else None
        answers.append(OfficeAnswer(office, days, earliest))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(answers, key=lambda a: (a.earliest or far, a.office.name))
