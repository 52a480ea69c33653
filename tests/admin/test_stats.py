"""Statistics against figures computed by hand from the generated records."""

import datetime as dt
from collections import Counter as Tally
from collections import defaultdict

import pytest
import sqlalchemy as sa

from terminvergabe.admin import stats
from terminvergabe.booking.models import AppointmentStatus, Closure, ShiftException, ShiftPattern
from terminvergabe.counter.models import Call, Ticket
from terminvergabe.db import db
from tests.admin import history

FIRST = dt.date(2025, 12, 1)  # Monday
LAST = dt.date(2025, 12, 19)  # Friday, three weeks


@pytest.fixture
def visits(office):
    records = history.generate(office, FIRST, 21, per_day=12, seed=7)
    db.session.commit()
    return records


def _bin(minutes: float) -> int:
    return next((i for i, bound in enumerate(stats.BINS) if minutes < bound), len(stats.BINS))


def _expected_durations(visits, zone, begin, end):
    by_service, by_hour = defaultdict(list), defaultdict(list)
    for v in visits:
        if getattr(v, begin) is None:
            continue
        minutes = (getattr(v, end) - getattr(v, begin)).total_seconds() / 60
        by_service[v.service_id].append(minutes)
        by_hour[getattr(v, begin).astimezone(zone).hour].append(minutes)
    return by_service, by_hour


def _check(dist, minutes):
    assert dist.count == len(minutes)
    assert dist.mean == pytest.approx(sum(minutes) / len(minutes), abs=1e-3)
    assert dist.bins == [Tally(_bin(m) for m in minutes)[i] for i in range(len(stats.BINS) + 1)]


def test_counts_match_the_generated_records(office, visits, now):
    report = stats.report(office, FIRST, LAST, now)
    booked = [v for v in visits if v.confirmed]
    assert report.counts.booked == len(booked)
    assert report.counts.cancelled == sum(v.status == AppointmentStatus.CANCELLED for v in booked)
    assert report.counts.no_shows == sum(v.status == AppointmentStatus.NO_SHOW for v in booked)
    assert report.counts.done == sum(v.status == AppointmentStatus.DONE for v in booked)
    assert report.counts.walk_ins == sum(v.walk_in for v in visits)
    per_day = Tally(v.start_at.astimezone(office.zone).date() for v in booked)
    assert {d: t["booked"] for d, t in report.counts.by_day.items()} == dict(per_day)
    assert report.counts.booked > 100  # the data really exercise the queries


def test_waiting_and_service_times_by_service_and_hour(office, visits, now):
    report = stats.report(office, FIRST, LAST, now)
    for durations, begin, end in (
        (report.waiting, "arrived_at", "called_at"),
        (report.service_time, "started_at", "finished_at"),
    ):
        by_service, by_hour = _expected_durations(visits, office.zone, begin, end)
        assert set(durations.by_service) == set(by_service)
        for service_id, minutes in by_service.items():
            _check(durations.by_service[service_id], minutes)
        assert list(durations.by_hour) == sorted(by_hour)
        for hour, minutes in by_hour.items():
            _check(durations.by_hour[hour], minutes)


def test_utilisation_is_booked_over_staffed_minutes(office, visits, now):
    report = stats.report(office, FIRST, LAST, now)
    occupying = {s.value for s in stats.OCCUPYING_STATUSES}
    open_days = sum(1 for n in range(19) if (FIRST + dt.timedelta(n)).weekday() < 5)
    for u in report.utilisation:
        booked = sum(
            v.minutes for v in visits if v.counter_id == u.counter.id and v.status in occupying
        )
        assert u.booked_minutes == pytest.approx(booked)
        assert u.staffed_minutes == open_days * 4 * 60  # 08:00-12:00 on every weekday
        assert u.ratio == pytest.approx(booked / (open_days * 240))


def test_staffed_minutes_follow_exceptions_closures_and_shift_validity(office, now):
    """Worked out once per kind of day, yet every dated change counts on its own day."""
    first_counter, second_counter = office.counters[:2]
    patterns = db.session.scalars(sa.select(ShiftPattern)).all()
    staff_at = {p.counter_id: p.staff_member_id for p in patterns}
    for p in patterns:  # the second counter's Tuesday shift ends on 8 December
        if p.counter_id == second_counter.id and p.weekday == 1:
            p.valid_until = dt.date(2025, 12, 8)
    db.session.add_all(
        [
            Closure(office=office, first_day=dt.date(2025, 12, 15), last_day=dt.date(2025, 12, 15)),
            ShiftException(  # an hour's absence on Wednesday 3 December
                staff_member_id=staff_at[first_counter.id],
                date=dt.date(2025, 12, 3),
                kind="absence",
                start_local=dt.time(9),
                end_local=dt.time(10),
            ),
            ShiftException(  # a second clerk at the first counter: its hours count once
                staff_member_id=staff_at[second_counter.id],
                date=dt.date(2025, 12, 11),
                kind="extra",
                counter_id=first_counter.id,
                start_local=dt.time(8),
                end_local=dt.time(9),
            ),
        ]
    )
    db.session.commit()
    staffed = stats.staffed_minutes(stats.Range(office, FIRST, LAST))
    full = 15 * 240  # 15 weekdays of 08:00-12:00
    assert staffed[first_counter.id] == full - 60 - 240
    assert staffed[second_counter.id] == full - 240 - 2 * 240


def test_a_range_outside_the_data_is_empty(office, visits, now):
    report = stats.report(office, dt.date(2026, 2, 2), dt.date(2026, 2, 6), now)
    assert report.counts.booked == 0
    assert report.waiting.overall.count == 0


def test_hour_of_day_follows_the_office_zone_across_dst(office, now):
    """26 October 2025: clocks went back; 09:00 local is 08:00 UTC after, 07:00 before."""
    records = history.generate(office, dt.date(2025, 10, 20), 14, per_day=4, seed=3)
    db.session.commit()
    report = stats.report(office, dt.date(2025, 10, 20), dt.date(2025, 11, 2), now)
    hours = {v.arrived_at.astimezone(office.zone).hour for v in records if v.arrived_at}
    assert set(report.waiting.by_hour) == hours


def test_csv_export(client, office, visits, manager):
    response = client.get(
        f"/admin/{office.id}/statistics.csv?first={FIRST.isoformat()}&last={LAST.isoformat()}"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    booked = sum(v.confirmed for v in visits)
    assert f"totals,booked,{booked}," in "\n".join(lines)


def test_statistics_page_has_charts_and_tables(client, office, visits, manager):
    page = client.get(
        f"/admin/{office.id}/statistics?first={FIRST.isoformat()}&last={LAST.isoformat()}&lang=en"
    ).get_data(as_text=True)
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 4
    assert "Waiting time (arrival to call) by service, minutes" in page


def test_bad_period_is_refused_with_a_message(client, office, manager):
    response = client.get(f"/admin/{office.id}/statistics?first=2026-02-01&last=2026-01-01&lang=en")
    assert response.status_code == 422
    assert "must not be before the first day" in response.get_data(as_text=True)


def test_waiting_time_ends_at_the_first_call_not_at_a_recall(office, now):
    """Called 5 minutes after arrival, recalled 20 minutes later: the citizen waited 5."""
    visits = history.generate(office, FIRST, 1, per_day=1, seed=1)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.appointment_id.is_not(None)))
    arrived = ticket.arrived_at
    first_call = db.session.scalar(sa.select(Call).where(Call.ticket_id == ticket.id))
    first_call.called_at = arrived + dt.timedelta(minutes=5)
    recalled = arrived + dt.timedelta(minutes=25)
    ticket.called_at, ticket.call_count = recalled, 2  # what a recall writes on the ticket
    ticket.started_at = recalled + dt.timedelta(minutes=1)
    ticket.finished_at = recalled + dt.timedelta(minutes=11)
    db.session.add(
        Call(
            office_id=office.id,
            ticket_id=ticket.id,
            counter_id=ticket.counter_id,
            called_at=recalled,
            recall=True,
        )
    )
    db.session.execute(sa.delete(Ticket).where(Ticket.id != ticket.id))
    db.session.commit()
    assert len(visits) == 1
    report = stats.report(office, FIRST, FIRST, now)
    assert report.waiting.overall.count == 1
    assert report.waiting.overall.mean == pytest.approx(5)
    assert report.service_time.overall.mean == pytest.approx(10)
