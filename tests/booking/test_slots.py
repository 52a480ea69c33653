"""The slot engine against a brute-force oracle that walks every minute of the day.

The oracle shares no code with booking/slots.py: it marks each minute of each counter as usable
(staffed by someone who can do every selected service, and not busy) and accepts a start when
all minutes of the appointment are usable, the start lies on the local wall-clock grid and is not
before the earliest start.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminvergabe.booking.slots import (
    CounterDay,
    StaffedInterval,
    appointment_minutes,
    first_free_start,
    free_starts,
    has_free_start,
)
from terminvergabe.time import local_to_utc

BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = dt.timedelta(minutes=1)
SERVICES = (1, 2, 3)
# Ordinary days and both DST switches of 2026 (clocks forward on 29 March, back on 25 October).
DAYS = (
    dt.date(2026, 1, 12),
    dt.date(2026, 3, 28),
    dt.date(2026, 3, 29),
    dt.date(2026, 7, 1),
    dt.date(2026, 10, 25),
    dt.date(2026, 10, 26),
)
SPAN = 26 * 60  # minutes after local midnight that the generated times may reach (fall: 25 h)


# -- the oracle ------------------------------------------------------------------------------


def oracle(counters, services, minutes, slot, zone, earliest):
    """{start: [counter ids]} found by checking every minute of every candidate start."""
    if not counters:
        return {}
    bounds = [s.start for c in counters for s in c.staffed] + [
        s.end for c in counters for s in c.staffed
    ]
    origin, horizon = min(bounds), max(bounds)
    result = {}
    for counter in counters:
        usable = _usable_minutes(counter, services, origin, horizon)
        t = origin
        while t + minutes * MINUTE <= horizon:
            if (
                t >= earliest
                and _on_grid(t, slot, zone)
                and all(t + k * MINUTE in usable for k in range(minutes))
            ):
                result.setdefault(t, []).append(counter.counter_id)
            t += MINUTE
    return dict(sorted(result.items()))


def _usable_minutes(counter, services, origin, horizon):
    usable = set()
    t = origin
    while t < horizon:
        staffed = any(
            s.start <= t and t + MINUTE <= s.end and set(services) <= s.skills
            for s in counter.staffed
        )
        busy = any(b_start < t + MINUTE and t < b_end for b_start, b_end in counter.busy)
        if staffed and not busy:
            usable.add(t)
        t += MINUTE
    return usable


def _on_grid(instant, slot, zone):
    local = instant.astimezone(zone)
    return (local.hour * 60 + local.minute) % slot == 0


# -- generated data --------------------------------------------------------------------------


def _midnight(day):
    return dt.datetime.combine(day, dt.time(0), tzinfo=BERLIN).astimezone(dt.UTC)


@st.composite
def intervals(draw, origin, min_length, max_length):
    start = draw(st.integers(0, SPAN - min_length))
    length = draw(st.integers(min_length, max_length))
    return origin + start * MINUTE, origin + min(start + length, SPAN) * MINUTE


@st.composite
def counter_days(draw, origin, count):
    counters = []
    for counter_id in range(1, count + 1):
        staffed = tuple(
            StaffedInterval(
                *draw(intervals(origin, 5, 600)),
                frozenset(draw(st.sets(st.sampled_from(SERVICES), min_size=1))),
            )
            for _ in range(draw(st.integers(1, 3)))
        )
        busy = sorted(
            draw(st.lists(intervals(origin, 1, 120), max_size=5)),
        )
        counters.append(CounterDay(counter_id * 10, staffed, tuple(busy)))
    return counters


@st.composite
def scenarios(draw):
    day = draw(st.sampled_from(DAYS))
    origin = _midnight(day)
    slot = draw(st.sampled_from(range(5, 61, 5)))
    counters = draw(counter_days(origin, draw(st.integers(1, 3))))
    services = frozenset(draw(st.sets(st.sampled_from(SERVICES), min_size=1, max_size=2)))
    minutes = slot * draw(st.integers(1, 4))
    earliest = origin + dt.timedelta(seconds=draw(st.integers(-3600, SPAN * 60)))
    return counters, services, minutes, slot, BERLIN, earliest


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow
@given(scenarios())
def test_free_starts_are_exactly_the_oracles(scenario):
    """Never overbooks (every offered start is free) and misses nothing (every free start is
    offered), with the counters that can take it."""
    assert free_starts(*scenario) == oracle(*scenario)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow
@given(scenarios())
def test_has_free_start_agrees_with_free_starts(scenario):
    assert has_free_start(*scenario) == bool(free_starts(*scenario))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow
@given(scenarios())
def test_first_free_start_is_the_earliest_of_free_starts(scenario):
    assert first_free_start(*scenario) == min(free_starts(*scenario), default=None)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow
@given(scenarios())
def test_starts_lie_on_the_local_grid_after_the_earliest_start(scenario):
    counters, services, minutes, slot, zone, earliest = scenario
    by_id = {c.counter_id: c for c in counters}
    for start, counter_ids in free_starts(*scenario).items():
        assert start >= earliest
        assert _on_grid(start, slot, zone)
        end = start + minutes * MINUTE
        for counter_id in counter_ids:
            counter = by_id[counter_id]
            assert not any(b0 < end and start < b1 for b0, b1 in counter.busy)


@given(
    st.dictionaries(st.sampled_from(SERVICES), st.integers(1, 5), min_size=1),
    st.dictionaries(st.sampled_from(SERVICES), st.integers(1, 90), min_size=3),
    st.sampled_from(range(5, 61, 5)),
)
def test_appointment_minutes_is_the_sum_rounded_up_to_the_grid(selection, durations, slot):
    total = sum(durations[s] * q for s, q in selection.items())
    minutes = appointment_minutes(selection, durations, slot)
    assert minutes % slot == 0
    assert total <= minutes < total + slot


# -- examples --------------------------------------------------------------------------------


def _open(day, *hours, skills=frozenset(SERVICES), busy=()):
    staffed = tuple(
        StaffedInterval(
            local_to_utc(day, dt.time(a), BERLIN), local_to_utc(day, dt.time(b), BERLIN), skills
        )
        for a, b in hours
    )
    return CounterDay(1, staffed, tuple(busy))


def _starts(day, slot=30, minutes=30, **kwargs):
    counter = _open(day, (0, 6), (8, 12), **kwargs)
    return list(free_starts([counter], frozenset({1}), minutes, slot, BERLIN, _midnight(day)))


def test_spring_forward_day_has_one_hour_less():
    """2026-03-29: 02:00 CET becomes 03:00 CEST, so 00:00-06:00 lasts five hours."""
    starts = _starts(dt.date(2026, 3, 29))
    assert len(starts) == 10 + 8
    utc = dt.UTC
    assert starts[0] == dt.datetime(2026, 3, 28, 23, 0, tzinfo=utc)  # 00:00 CET
    assert starts[3] == dt.datetime(2026, 3, 29, 0, 30, tzinfo=utc)  # 01:30 CET
    assert starts[4] == dt.datetime(2026, 3, 29, 1, 0, tzinfo=utc)  # 03:00 CEST
    assert starts[9] == dt.datetime(2026, 3, 29, 3, 30, tzinfo=utc)  # 05:30 CEST
    assert starts[10] == dt.datetime(2026, 3, 29, 6, 0, tzinfo=utc)  # 08:00 CEST
    assert [s.astimezone(BERLIN).strftime("%H:%M") for s in starts[:6]] == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "03:00",
        "03:30",
    ]


def test_fall_back_day_has_one_hour_more():
    """2026-10-25: 03:00 CEST becomes 02:00 CET, so 00:00-06:00 lasts seven hours and the
    wall-clock times from 02:00 to 02:30 are offered twice, at different instants."""
    starts = _starts(dt.date(2026, 10, 25))
    assert len(starts) == 14 + 8
    walls = [s.astimezone(BERLIN).strftime("%H:%M%z") for s in starts[:14]]
    assert walls[4:8] == ["02:00+0200", "02:30+0200", "02:00+0100", "02:30+0100"]
    assert starts[0] == dt.datetime(2026, 10, 24, 22, 0, tzinfo=dt.UTC)
    assert starts[13] == dt.datetime(2026, 10, 25, 4, 30, tzinfo=dt.UTC)  # 05:30 CET
    assert starts[14] == dt.datetime(2026, 10, 25, 7, 0, tzinfo=dt.UTC)  # 08:00 CET


def test_granularity_not_dividing_an_hour_stays_on_the_wall_clock_grid_across_dst():
    """With 25-minute slots the grid is 00:00, 00:25, ... in local time; a naive step of
    25 real minutes would leave it after the switch (or skip a point in the repeated hour)."""
    for day in (dt.date(2026, 3, 29), dt.date(2026, 10, 25)):
        counter = _open(day, (0, 6))
        args = ([counter], frozenset({1}), 25, 25, BERLIN, _midnight(day))
        assert free_starts(*args) == oracle(*args)
        assert all(_on_grid(s, 25, BERLIN) for s in free_starts(*args))


def test_busy_time_and_missing_skill_are_never_offered():
    day = dt.date(2026, 1, 13)
    nine = local_to_utc(day, dt.time(9), BERLIN)
    busy = [(nine, nine + 20 * MINUTE)]
    starts = _starts(day, slot=10, minutes=20, busy=busy)
    assert nine not in starts and nine - 10 * MINUTE not in starts
    assert nine + 20 * MINUTE in starts
    counter = _open(day, (8, 12), skills=frozenset({2}))
    assert not has_free_start([counter], frozenset({1}), 10, 10, BERLIN, _midnight(day))
