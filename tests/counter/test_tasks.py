"""The end-of-day job (counter/tasks.py): booked appointments nobody checked in become no-shows
once the office day is over, open tickets are closed, the statistics count them, and a second
run changes nothing. The job runs as the scheduler runs it: `run_job` with the clock of
FROZEN_NOW, in its own app context and session."""

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from terminvergabe.admin import stats
from terminvergabe.audit import AuditEntry
from terminvergabe.booking import operations as booking_ops
from terminvergabe.booking.models import Appointment, AppointmentStatus
from terminvergabe.counter import checkin, tasks, tickets
from terminvergabe.counter.models import QueueSettings, Ticket, TicketStatus
from terminvergabe.db import db
from terminvergabe.notify import scheduler
from tests import factories
from tests.counter.helpers import book

BERLIN = "Europe/Berlin"
FRIDAY_BEFORE = dt.datetime(2026, 1, 9, 8, 0, tzinfo=dt.UTC)  # bookings are made then


def local(day: int, hour: int, minute: int = 0, zone: str = BERLIN) -> dt.datetime:
    """A wall time in January 2026 in `zone`, as aware UTC."""
    from zoneinfo import ZoneInfo

    wall = dt.datetime(2026, 1, day, hour, minute, tzinfo=ZoneInfo(zone))
    return wall.astimezone(dt.UTC)


def run_close_day(app, when: dt.datetime) -> None:
    """What `flask scheduler` does, at the frozen time `when`."""
    db.session.commit()
    app.config["FROZEN_NOW"] = when
    job = next(j for j in scheduler.jobs(app) if j.name == "close_day")
    assert scheduler.run_job(app, job)
    db.session.expire_all()


def status(appointment) -> str:
    return db.session.get(Appointment, appointment.id).status


def test_the_job_is_registered_with_the_scheduler(app):
    names = [job.name for job in scheduler.jobs(app)]
    assert "close_day" in names


def test_missed_only_after_closing_and_late_tolerance(app, office):
    early = book(office, local(12, 10), FRIDAY_BEFORE, name="Erika Muster")
    last = book(
        office, local(12, 11, 50), FRIDAY_BEFORE, name="Max Muster", service_name="Anmeldung"
    )
    run_close_day(app, local(12, 11, 59))  # open until 12:00: a late citizen may still come
    assert status(early) == status(last) == AppointmentStatus.CONFIRMED
    run_close_day(app, local(12, 12, 0))
    assert status(early) == AppointmentStatus.NO_SHOW
    # 11:50 + 15 minutes late tolerance: a late check-in is possible until 12:05
    assert status(last) == AppointmentStatus.CONFIRMED
    run_close_day(app, local(12, 12, 5))
    assert status(last) == AppointmentStatus.NO_SHOW
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_name, e.appointment_id) for e in entries] == [
        ("no_show", "system", early.id),
        ("no_show", "system", last.id),
    ]
    assert entries[0].details == {"end_of_day": True}


def test_office_tolerance_is_respected(app, office):
    db.session.add(QueueSettings(office_id=office.id, late_minutes=60))
    appointment = book(office, local(12, 11, 30), FRIDAY_BEFORE)
    run_close_day(app, local(12, 12, 29))
    assert status(appointment) == AppointmentStatus.CONFIRMED
    run_close_day(app, local(12, 12, 30))
    assert status(appointment) == AppointmentStatus.NO_SHOW


def test_checked_in_cancelled_and_future_appointments_are_left_alone(app, office):
    came = book(office, local(12, 10), FRIDAY_BEFORE, name="Erika Muster")
    cancelled = book(office, local(12, 10, 20), FRIDAY_BEFORE, name="Max Muster")
    tomorrow = book(office, local(13, 9), FRIDAY_BEFORE, name="Olena Koval")
    checkin.check_in(office, came, local(12, 9, 55))
    booking_ops.cancel(cancelled, FRIDAY_BEFORE)
    run_close_day(app, local(12, 23, 0))
    assert status(came) == AppointmentStatus.CHECKED_IN  # its ticket is closed at midnight
    assert status(cancelled) == AppointmentStatus.CANCELLED
    assert status(tomorrow) == AppointmentStatus.CONFIRMED


def test_open_tickets_are_closed_when_the_local_day_is_over(app, office):
    parked, serving, called, waiting = (
        book(office, local(12, 10) + dt.timedelta(minutes=20 * i), FRIDAY_BEFORE, name=f"P{i} X")
        for i in range(4)
    )
    counter_1, counter_2 = office.counters
    minutes = dt.timedelta(minutes=1)
    issued = {}
    issued["parked"] = checkin.check_in(office, parked, parked.start_at - 5 * minutes)
    assert tickets.call_next(counter_1, parked.start_at) == issued["parked"]
    tickets.park(issued["parked"], counter_1, parked.start_at + minutes)
    issued["serving"] = checkin.check_in(office, serving, serving.start_at - 5 * minutes)
    assert tickets.call_next(counter_2, serving.start_at) == issued["serving"]
    tickets.start(issued["serving"], counter_2, serving.start_at + minutes)
    issued["called"] = checkin.check_in(office, called, called.start_at - 5 * minutes)
    assert tickets.call_next(counter_1, called.start_at) == issued["called"]
    issued["waiting"] = checkin.check_in(office, waiting, waiting.start_at - 5 * minutes)
    issued["walk_in"] = checkin.walk_in(office, office.services[2].id, waiting.start_at)
    ids = {name: ticket.id for name, ticket in issued.items()}

    run_close_day(app, local(12, 23, 59))  # the day is not over yet
    assert db.session.get(Ticket, ids["serving"]).status == TicketStatus.IN_SERVICE

    run_close_day(app, local(13, 0, 0))
    ticket = {name: db.session.get(Ticket, ticket_id) for name, ticket_id in ids.items()}
    assert {name: t.status for name, t in ticket.items()} == {
        "parked": TicketStatus.CLOSED,
        "serving": TicketStatus.DONE,
        "called": TicketStatus.NO_SHOW,
        "waiting": TicketStatus.CLOSED,
        "walk_in": TicketStatus.CLOSED,
    }
    assert ticket["serving"].finished_at is None  # unknown: stays out of the service times
    assert [(s.service_id, s.quantity) for s in ticket["serving"].services_done] == [
        (i.service_id, i.quantity) for i in serving.items
    ]
    assert status(serving) == AppointmentStatus.DONE
    assert status(called) == AppointmentStatus.NO_SHOW
    # They came but were not served: not no-shows.
    assert status(parked) == status(waiting) == AppointmentStatus.CHECKED_IN
    actions = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.details["ticket"].as_string())
        .where(AuditEntry.at == local(13, 0, 0))  # written by the job
        .order_by(AuditEntry.id)
    ).all()
    assert sorted(actions) == sorted(
        [
            ("close", ticket["parked"].display_number),
            ("finish", ticket["serving"].display_number),
            ("no_show", ticket["called"].display_number),
            ("close", ticket["waiting"].display_number),
            ("close", ticket["walk_in"].display_number),
        ]
    )


def test_each_office_closes_in_its_own_time_zone(app, office):
    """At 23:30 UTC on Monday it is Tuesday in Berlin but still Monday evening in New York."""
    new_york = factories.create_office(
        slug="new-york", name="Consulate", time_zone="America/New_York"
    )
    berlin_missed = book(office, local(12, 10), FRIDAY_BEFORE)
    ny_missed = book(
        new_york, local(12, 10, zone="America/New_York"), FRIDAY_BEFORE, name="Ann Smith"
    )
    ny_ticket = checkin.walk_in(
        new_york, new_york.services[0].id, local(12, 11, zone="America/New_York")
    )
    berlin_ticket = checkin.walk_in(office, office.services[0].id, local(12, 11))
    run_close_day(app, local(12, 11, 50, zone="America/New_York"))
    assert status(berlin_missed) == AppointmentStatus.NO_SHOW
    assert status(ny_missed) == AppointmentStatus.CONFIRMED  # New York is still open
    run_close_day(app, dt.datetime(2026, 1, 12, 23, 30, tzinfo=dt.UTC))
    assert status(ny_missed) == AppointmentStatus.NO_SHOW  # closed at 12:00 New York time
    assert db.session.get(Ticket, berlin_ticket.id).status == TicketStatus.CLOSED
    assert db.session.get(Ticket, ny_ticket.id).status == TicketStatus.WAITING
    run_close_day(app, dt.datetime(2026, 1, 13, 5, 0, tzinfo=dt.UTC))  # midnight in New York
    assert db.session.get(Ticket, ny_ticket.id).status == TicketStatus.CLOSED


def test_the_job_is_idempotent(app, office):
    appointment = book(office, local(12, 10), FRIDAY_BEFORE)
    checkin.walk_in(office, office.services[0].id, local(12, 10))
    run_close_day(app, local(13, 1))
    first = db.session.scalars(sa.select(AuditEntry.id)).all()
    run_close_day(app, local(13, 1))
    run_close_day(app, local(13, 2))
    assert db.session.scalars(sa.select(AuditEntry.id)).all() == first
    assert len(first) == 3  # walk-in issued, walk-in closed, appointment missed
    assert status(appointment) == AppointmentStatus.NO_SHOW
    assert tasks.close_day(local(13, 3)) == 0


# -- statistics on generated data ------------------------------------------------------------

DAYS = (12, 13, 14)  # Monday to Wednesday


def _generate(app, office, seed: int) -> dict[dt.date, dict[str, int]]:
    """Appointments with random outcomes over three days, played through the operations at
    their own times, with the job running each night (a ticket left in service would keep its
    counter busy the next morning). Returns the figures the statistics must show, counted here
    by hand, and how many no-shows the job made."""
    rng = random.Random(seed)
    counter_1, counter_2 = office.counters
    expected = {}
    people = iter(range(1000))

    def new(day, slot):
        start = local(day, 8) + dt.timedelta(minutes=20 * slot)
        return book(office, start, FRIDAY_BEFORE, name=f"Person{next(people)} Test")

    for day in DAYS:
        outcomes = (
            ["missed"] * rng.randint(1, 3)
            + ["served"] * rng.randint(1, 3)
            + ["clerk_no_show"] * rng.randint(0, 2)
            + ["cancelled"] * rng.randint(0, 1)
        )
        rng.shuffle(outcomes)
        outcomes += ["called_open", "serving_open", "left_waiting"]
        tally = {"booked": 0, "no_shows": 0, "done": 0, "cancelled": 0, "by_job": 0}
        for slot, outcome in enumerate(outcomes):
            appointment = new(day, slot)
            start = appointment.start_at
            tally["booked"] += 1
            if outcome == "missed":
                tally["no_shows"] += 1
                tally["by_job"] += 1
                continue
            if outcome == "cancelled":
                booking_ops.cancel(appointment, FRIDAY_BEFORE)
                tally["cancelled"] += 1
                continue
            ticket = checkin.check_in(office, appointment, start - dt.timedelta(minutes=5))
            if outcome == "left_waiting":
                continue
            counter = counter_2 if outcome == "called_open" else counter_1
            assert tickets.call_next(counter, start) == ticket
            if outcome in ("clerk_no_show", "called_open"):
                tally["no_shows"] += 1
                tally["by_job"] += outcome == "called_open"
                if outcome == "clerk_no_show":
                    tickets.no_show(ticket, counter, start + dt.timedelta(minutes=2))
                continue
            tickets.start(ticket, counter, start + dt.timedelta(minutes=1))
            tally["done"] += 1
            if outcome == "served":
                tickets.finish(ticket, counter, start + dt.timedelta(minutes=15))
        expected[dt.date(2026, 1, day)] = tally
        run_close_day(app, local(day + 1, 0, 10))
        counter_1, counter_2 = office.counters
    return expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statistics_count_the_no_shows_of_the_end_of_day_job(app, office, seed):
    expected = _generate(app, office, seed)
    first, last = dt.date(2026, 1, 12), dt.date(2026, 1, 14)
    run_close_day(app, local(15, 7))  # Thursday morning: nothing more to do
    counts = stats.report(office, first, last, local(15, 8)).counts
    assert counts.no_shows == sum(t["no_shows"] for t in expected.values())
    by_job = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "no_show", AuditEntry.actor_id.is_(None))
        .where(AuditEntry.details["end_of_day"].as_boolean())
    )
    assert by_job == sum(t["by_job"] for t in expected.values()) > 0
    assert counts.done == sum(t["done"] for t in expected.values())
    assert counts.booked == sum(t["booked"] for t in expected.values())
    assert counts.cancelled == sum(t["cancelled"] for t in expected.values())
    for day, tally in expected.items():
        assert counts.by_day[day].get("no_shows", 0) == tally["no_shows"]
        assert counts.by_day[day].get("done", 0) == tally["done"]
    # Nothing confirmed is left in the past, and no ticket is left open.
    left = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Appointment)
        .where(Appointment.status == AppointmentStatus.CONFIRMED)
    )
    assert left == 0
    assert not db.session.scalars(
        sa.select(Ticket).where(Ticket.status.in_(["waiting", "called", "in_service", "parked"]))
    ).all()


def test_batches_run_until_every_office_is_done(app, office, monkeypatch):
    monkeypatch.setattr(tasks, "BATCH", 1)
    other = factories.create_office(slug="zweites-amt", name="Zweites Amt")
    monday = [book(office, local(12, 10, 20 * i), FRIDAY_BEFORE, name=f"P{i} X") for i in (0, 1)]
    tuesday = book(other, local(13, 10), FRIDAY_BEFORE, name="Olena Koval")
    issued = [checkin.walk_in(office, office.services[0].id, local(12, 9, i)) for i in (0, 1, 2)]
    run_close_day(app, local(13, 11))  # Tuesday 11:00: Monday is over, Tuesday is not
    assert [status(a) for a in monday] == [AppointmentStatus.NO_SHOW] * 2
    assert status(tuesday) == AppointmentStatus.CONFIRMED
    assert {db.session.get(Ticket, t.id).status for t in issued} == {TicketStatus.CLOSED}


@pytest.mark.concurrency
def test_a_check_in_in_progress_is_not_overtaken_by_the_job(app, office):
    """PostgreSQL: the front desk holds the appointment's row (check-in not yet committed) when
    the job runs; the job skips the row instead of marking the citizen who is standing at the
    desk as a no-show. (SQLite runs one writer at a time: there the job simply waits.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    appointment = book(office, local(12, 11, 40), FRIDAY_BEFORE, service_name="Anmeldung")
    office_id, appointment_id = office.id, appointment.id
    db.session.commit()
    after_closing = local(12, 12, 10)
    desk = db.session.registry()  # this test's session plays the front desk
    desk.close()
    from terminvergabe.booking.models import Office

    ticket = checkin.check_in(
        desk.get(Office, office_id), desk.get(Appointment, appointment_id), local(12, 11, 50)
    )
    assert ticket is not None  # row locked, transaction open
    with app.app_context():  # the scheduler: another session, another connection
        assert tasks.close_day(after_closing) == 0
        db.session.remove()
    db.session.commit()
    assert db.session.get(Appointment, appointment_id).status == AppointmentStatus.CHECKED_IN
    with app.app_context():
        assert tasks.close_day(after_closing) == 0  # checked in: nothing left to mark
        db.session.remove()
    assert db.session.get(Appointment, appointment_id).status == AppointmentStatus.CHECKED_IN
