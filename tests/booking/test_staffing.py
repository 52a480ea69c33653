"""An office's staffing as plain data (terminvergabe/booking/staffing.py)."""

import datetime as dt
from zoneinfo import ZoneInfo

from terminvergabe.booking.staffing import Staffing, load_staffing
from terminvergabe.db import db

MONDAY = dt.date(2026, 1, 12)


class Shift:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def test_staffing_is_plain_data_built_without_the_database():
    plan = Staffing(
        zone=ZoneInfo("Europe/Berlin"),
        bundesland="NW",
        counter_ids=[1],
        counter_skills={1: frozenset({7})},
        patterns=[
            Shift(
                staff_member_id=5,
                counter_id=1,
                weekday=0,
                start_local=dt.time(8),
                end_local=dt.time(12),
                valid_from=None,
                valid_until=None,
            )
        ],
        exceptions={},
        staff_skills={},
        hours={0: [(dt.time(9), dt.time(11))]},
        closures=[],
        services={},
    )
    (interval,) = plan.staffed(MONDAY)[1]
    assert (interval.start.hour, interval.end.hour) == (8, 10)  # 09:00-11:00 in Berlin
    assert interval.skills == {7}
    assert plan.staffed(MONDAY + dt.timedelta(days=1)) == {}


def test_the_loader_reads_the_office(app_ctx, office):
    db.session.flush()
    plan = load_staffing(office)
    assert plan.counter_ids == [c.id for c in office.counters]
    assert set(plan.services) == {s.id for s in office.services if s.active}
    assert plan.hours and plan.patterns
