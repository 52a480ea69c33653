"""Property tests of the pure queue engine (terminvergabe/counter/queue.py)."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from terminvergabe.counter import queue
from terminvergabe.counter.queue import APPOINTMENT, WALK_IN, Entry, Policy

NOW = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)
SERVICES = (1, 2, 3)
COUNTERS = (10, 11)


@st.composite
def entries(draw, max_size=15):
    n = draw(st.integers(0, max_size))
    result = []
    for i in range(n):
        kind = draw(st.sampled_from([APPOINTMENT, WALK_IN]))
        queued = NOW - dt.timedelta(minutes=draw(st.integers(0, 120)))
        due = (
            NOW + dt.timedelta(minutes=draw(st.integers(-60, 60)))
            if kind == APPOINTMENT
            else queued
        )
        result.append(
            Entry(
                id=i + 1,
                kind=kind,
                priority=draw(st.booleans()) and draw(st.booleans()),
                due_at=due,
                queued_at=queued,
                service_id=draw(st.sampled_from(SERVICES)),
                target_counter_id=draw(st.sampled_from([None, None, None, *COUNTERS])),
            )
        )
    return result


skills_st = st.frozensets(st.sampled_from(SERVICES), min_size=1)
policies = st.builds(
    Policy,
    walk_in_every=st.integers(1, 5),
    walk_in_max_wait=st.integers(5, 200).map(lambda m: dt.timedelta(minutes=m)),
)


@given(entries(), skills_st, st.sampled_from(COUNTERS), policies, st.integers(0, 6))
def test_next_is_eligible_and_none_only_when_nothing_fits(items, skills, counter, policy, streak):
    chosen = queue.next_for(items, NOW, counter, skills, policy, streak)
    fitting = [e for e in items if queue.eligible(e, counter, skills)]
    if not fitting:
        assert chosen is None
    else:
        assert chosen in fitting
        assert chosen.service_id in skills
        assert chosen.target_counter_id in (None, counter)


@given(entries(), skills_st, st.sampled_from(COUNTERS), policies)
def test_order_is_a_permutation_of_eligible_tickets(items, skills, counter, policy):
    result = queue.order(items, NOW, counter, skills, policy)
    assert sorted(e.id for e in result) == sorted(
        e.id for e in items if queue.eligible(e, counter, skills)
    )


@given(entries(), skills_st, policies, st.integers(0, 6))
def test_priority_first(items, skills, policy, streak):
    result = queue.order(items, NOW, None, skills, policy, streak)
    flags = [e.priority for e in result]
    assert flags == sorted(flags, reverse=True)
    priority = [e for e in result if e.priority]
    assert priority == sorted(priority, key=lambda e: (e.queued_at, e.id))


@given(entries(), skills_st, policies, st.integers(0, 6))
def test_walk_ins_are_not_starved(items, skills, policy, streak):
    """While walk-ins wait, at most `walk_in_every` appointments are called in a row."""
    result = queue.order(items, NOW, None, skills, policy, streak)
    run = streak
    waiting_walk_ins = sum(e.kind == WALK_IN for e in result)
    for entry in result:
        if entry.kind == WALK_IN:
            waiting_walk_ins -= 1
        elif waiting_walk_ins and not entry.priority:
            assert run < policy.walk_in_every
        run = queue.next_streak(run, entry)


@given(entries(), skills_st, policies)
def test_walk_ins_keep_their_place_in_line(items, skills, policy):
    """Walk-ins (and parked or transferred tickets, which keep queued_at) are called in the
    order they joined the line."""
    walk_ins = [
        e
        for e in queue.order(items, NOW, None, skills, policy)
        if e.kind == WALK_IN and not e.priority
    ]
    assert walk_ins == sorted(walk_ins, key=lambda e: (e.queued_at, e.id))


@given(entries(), skills_st, policies)
def test_due_appointments_in_time_order_before_early_ones(items, skills, policy):
    appointments = [
        e
        for e in queue.order(items, NOW, None, skills, policy)
        if e.kind == APPOINTMENT and not e.priority
    ]
    due = [e for e in appointments if e.due_at <= NOW]
    early = [e for e in appointments if e.due_at > NOW]
    assert appointments == due + early
    assert due == sorted(due, key=lambda e: (e.due_at, e.queued_at, e.id))


def test_walk_in_fills_the_gap_when_no_appointment_is_due():
    appointment = Entry(1, APPOINTMENT, False, NOW + dt.timedelta(minutes=20), NOW, 1)
    walk_in = Entry(2, WALK_IN, False, NOW, NOW, 1)
    assert queue.next_for([appointment, walk_in], NOW) == walk_in
    later = NOW + dt.timedelta(minutes=20)
    assert queue.next_for([appointment, walk_in], later) == appointment
    assert queue.next_for([appointment], NOW) == appointment  # idle counter: take the early one


def test_long_waiting_walk_in_goes_first():
    appointment = Entry(1, APPOINTMENT, False, NOW, NOW, 1)
    walk_in = Entry(2, WALK_IN, False, NOW - dt.timedelta(hours=1), NOW - dt.timedelta(hours=1), 1)
    policy = Policy(walk_in_every=10, walk_in_max_wait=dt.timedelta(minutes=45))
    assert queue.next_for([appointment, walk_in], NOW, policy=policy) == walk_in


@settings(max_examples=50)
@given(
    st.lists(st.integers(1, 60), max_size=30),
    st.integers(0, 50),
    st.integers(1, 6),
)
def test_estimated_wait_grows_with_place_and_shrinks_with_counters(minutes, ahead, counters):
    typical = queue.typical_service_minutes([dt.timedelta(minutes=m) for m in minutes], 10)
    wait = queue.estimated_wait_minutes(ahead, counters, typical)
    assert wait >= 0
    assert queue.estimated_wait_minutes(ahead + 1, counters, typical) >= wait
    assert queue.estimated_wait_minutes(ahead, counters + 1, typical) <= wait
    assert queue.estimated_wait_minutes(0, counters, typical) == 0
