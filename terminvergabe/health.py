"""`/healthz` for load balancers and monitoring: the database answers, and the scheduler process
has beaten recently (it writes a heartbeat row on every run of its jobs)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from sqlalchemy.orm import Mapped, mapped_column

from terminvergabe.db import UTCDateTime, db
from terminvergabe.time import now

bp = Blueprint("health", __name__)


class Heartbeat(db.Model):
    """The last time a background process showed it was alive."""

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def beat(name: str, at: dt.datetime) -> None:
    """Record that `name` is alive; flushes, the caller commits."""
    heartbeat = db.session.get(Heartbeat, name)
    if heartbeat is None:
        db.session.add(Heartbeat(name=name, beat_at=at))
    else:
        heartbeat.beat_at = at
    db.session.flush()


@bp.get("/healthz")
def healthz():
    checks = {"database": _database_ok()}
    max_age = current_app.config.get("SCHEDULER_HEARTBEAT_MAX_AGE", 120)
    if current_app.config.get("HEALTH_REQUIRES_SCHEDULER", True) and checks["database"]:
        checks["scheduler"] = _heartbeat_recent("scheduler", dt.timedelta(seconds=max_age))
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


def _heartbeat_recent(name: str, max_age: dt.timedelta) -> bool:
    heartbeat = db.session.get(Heartbeat, name)
    return heartbeat is not None and now() - heartbeat.beat_at <= max_age


def init_app(app) -> None:
    app.register_blueprint(bp)
