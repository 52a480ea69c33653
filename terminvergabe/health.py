"""Health checks.

- `/healthz` for the load balancer: this worker answers and reaches its database. Nothing else:
  a check of a shared service (the scheduler) would take every worker out of rotation at once.
- `/healthz/scheduler` for monitoring: a scheduler (on any host) finished a job within
  SCHEDULER_HEARTBEAT_MAX_AGE seconds (every finished job writes a heartbeat, notify/scheduler.py).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from terminvergabe.db import db
from terminvergabe.notify.scheduler import last_heartbeat
from terminvergabe.time import now

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return _answer({"database": _database_ok()})


@bp.get("/healthz/scheduler")
def scheduler():
    max_age = dt.timedelta(seconds=current_app.config["SCHEDULER_HEARTBEAT_MAX_AGE"])
    checks = {"database": _database_ok()}
    if checks["database"]:
        checks["scheduler"] = _heartbeat_recent(max_age)
    return _answer(checks)


def _answer(checks: dict[str, bool]):
    healthy = all(checks.values())
    db.session.rollback()
    return jsonify(status="ok" if healthy else "failing", checks=checks), 200 if healthy else 503


def _database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False


def _heartbeat_recent(max_age: dt.timedelta) -> bool:
    try:
        last = last_heartbeat()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    return last is not None and now() - last <= max_age


def init_app(app) -> None:
    app.register_blueprint(bp)
