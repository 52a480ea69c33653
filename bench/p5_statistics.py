"""P5: statistics over a year. One office with 12 counters, a year of generated history
(about 60,000 appointments in every end state, 15,000 walk-ins, tickets with arrival, call,
start and finish times, and the claims the done appointments left); median time of

  - the whole statistics report for the year (counts, waiting and service time distributions
    by service and hour, utilisation per counter, services booked), and
  - its SQL part alone (without utilisation, which also assembles the year's schedule),

against a baseline measured in the same run: one GROUP BY status over the same year's
appointments (the least any report over this schema must read).

    .venv/bin/python bench/p5_statistics.py [--runs 7] [--per-day 240]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench] [--reuse]

Without --database a temporary SQLite file is used. The database's tables are dropped and
created again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from terminvergabe import create_app  # noqa: E402
from terminvergabe.admin import stats  # noqa: E402
from terminvergabe.booking.models import (  # noqa: E402
    CLAIM_UNIT_MINUTES,
    OCCUPYING_STATUSES,
    Appointment,
    Office,
    SlotClaim,
)
from terminvergabe.db import db  # noqa: E402
from tests import factories  # noqa: E402
from tests.admin import history  # noqa: E402

FIRST = dt.date(2025, 1, 6)  # a Monday
LAST = dt.date(2026, 1, 4)  # 364 days
NOW = dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC)


def _median(fn, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (the CPU time is what a loaded
    machine disturbs least; the database's own work on PostgreSQL is in the wall time only)."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        db.session.rollback()
    return statistics.median(walls), statistics.median(cpus)


def _fill(per_day: int) -> tuple[object, int]:
    office = factories.create_office(counters=12)
    db.session.commit()
    visits = history.generate(office, FIRST, (LAST - FIRST).days + 1, per_day=per_day, seed=1)
    occupying = {s.value for s in OCCUPYING_STATUSES}
    unit = dt.timedelta(minutes=CLAIM_UNIT_MINUTES)
    claims = [
        {
            "counter_id": v.counter_id,
            "start_at": v.start_at + n * unit,
            "appointment_id": v.appointment_id,
            "expires_at": None,
        }
        for v in visits
        if v.status in occupying
        for n in range(v.minutes // CLAIM_UNIT_MINUTES)
    ]
    # Generated times repeat when per_day exceeds the counters' slots: keep one claim per unit.
    unique = {(c["counter_id"], c["start_at"]): c for c in claims}
    db.session.execute(sa.insert(SlotClaim), list(unique.values()))
    db.session.commit()
    # Planner statistics, as autovacuum would have them on a database that grew over a year;
    # right after a bulk insert PostgreSQL would plan for empty tables.
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return office, len(visits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--per-day", type=int, default=240)
    parser.add_argument("--database")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data an earlier run left in --database"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/p5.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            begin = time.perf_counter()
            office = db.session.scalar(sa.select(Office)) if args.reuse else None
            if office is None:
                db.drop_all()
                db.create_all()
                office, visits = _fill(args.per_day)
            else:
                visits = None
            fill_seconds = time.perf_counter() - begin
            period = stats.Range(office, FIRST, LAST)
            appointments = db.session.scalar(sa.select(sa.func.count()).select_from(Appointment))

            def baseline():
                db.session.execute(
                    sa.select(Appointment.status, sa.func.count())
                    .where(Appointment.office_id == office.id, period.within(Appointment.start_at))
                    .group_by(Appointment.status)
                ).all()

            def sql_part():
                stats.appointment_counts(period)
                stats.walk_ins(period)
                stats.waiting_times(period)
                stats.service_times(period)
                stats.services_booked(period)

            def full():
                stats.report(office, FIRST, LAST, NOW)

            base = _median(baseline, args.runs)
            sql = _median(sql_part, args.runs)
            report = _median(full, args.runs)
            db.session.remove()
            db.engine.dispose()
    backend = url.split(":")[0]
    print(f"P5 statistics, one year, {backend}, median of {args.runs} runs")
    made = f"{visits} visits generated in {fill_seconds:.0f} s" if visits else "kept"
    print(f"  data: {appointments} appointments ({made})")
    rows = (
        ("baseline: GROUP BY status over the year", base),
        ("statistics SQL (counts, distributions)", sql),
        ("whole report incl. utilisation", report),
    )
    for label, (wall, cpu) in rows:
        print(
            f"  {label:42s} {wall * 1000:8.1f} ms wall (x{wall / base[0]:5.1f})"
            f"  {cpu * 1000:8.1f} ms cpu"
        )


if __name__ == "__main__":
    main()
