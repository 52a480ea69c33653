"""Prometheus metrics at `/metrics`: bookings, calls and mails counted, request latencies.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty folder) so that every
worker's counts are added up (prometheus-client's multiprocess mode).

Who may read it: everyone, unless METRICS_TOKEN (a bearer token) or METRICS_ALLOWED_ADDRESSES
(addresses or networks, e.g. ["10.0.0.0/8", "127.0.0.1"]) is set; then a request needs either.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from terminvergabe.db import db

bp = Blueprint("metrics", __name__)

BOOKINGS = Counter("terminvergabe_appointments_total", "Appointment changes by kind", ["event"])
CALLS = Counter("terminvergabe_calls_total", "Tickets called to a counter")
# outcome: sent, failed (given up), retried (a failed attempt that is tried again)
MAILS = Counter("terminvergabe_mails_total", "Mail delivery attempts by outcome", ["outcome"])
REQUEST_SECONDS = Histogram(
    "terminvergabe_request_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def count_after_commit(counter, amount: int = 1, **labels) -> None:
    """Count on the current transaction's commit: a refused or rolled back change counts none."""
    pending = db.session.info.setdefault(_PENDING_KEY, [])
    pending.append((counter.labels(**labels) if labels else counter, amount))


_PENDING_KEY = "metrics_pending"


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _count_committed(session):
    for counter, amount in session.info.pop(_PENDING_KEY, ()):
        counter.inc(amount)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_rolled_back(session):
    session.info.pop(_PENDING_KEY, None)


@bp.get("/metrics")
def metrics():
    if not _may_read():
        abort(403)
    registry = None
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    # content_type, not mimetype: Flask would add a second "; charset=utf-8"
    return Response(
        generate_latest(registry) if registry else generate_latest(),
        content_type=CONTENT_TYPE_LATEST,
    )


def _may_read() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    networks = current_app.config["METRICS_ALLOWED_ADDRESSES"]
    if not token and not networks:
        return True
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return _address_in(request.remote_addr, networks)


def _address_in(address: str | None, networks: list[str]) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(network, strict=False) for network in networks)


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.teardown_request
    def observe(exc=None):
        started = g.pop("request_started", None)
        if started is not None and request.endpoint:
            REQUEST_SECONDS.labels(request.endpoint, request.method).observe(
                time.perf_counter() - started
            )
