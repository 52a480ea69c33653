"""`/healthz` for load balancers and monitoring: the database answers, and the scheduler process
has beaten recently (every finished job writes a heartbeat row, see notify/scheduler.py)."""

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
    checks = {"database": _database_ok()}
    max_age = current_app.config.get("SCHEDULER_HEARTBEAT_MAX_AGE", 120)
    if current_app.config.get("HEALTH_REQUIRES_SCHEDULER", True) and checks["database"]:
        checks["scheduler"] = _heartbeat_recent(dt.timedelta(seconds=max_age))
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
    last = last_heartbeat()
    return last is not None and now() - last <= max_age


def init_app(app) -> None:
    app.register_blueprint(bp)
