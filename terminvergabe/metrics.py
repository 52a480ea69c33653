"""Prometheus metrics at `/metrics`: bookings, calls and mails counted, request latencies.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty folder) so that every
worker's counts are added up (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from terminvergabe.booking import signals

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

_EVENTS = {
    "held": signals.appointment_held,
    "pending": signals.appointment_pending,
    "confirmed": signals.appointment_confirmed,
    "rebooked": signals.appointment_rebooked,
    "cancelled": signals.appointment_cancelled,
    "expired": signals.appointment_expired,
}


def _count(event: str):
    def receiver(sender, **kwargs):
        BOOKINGS.labels(event=event).inc()

    return receiver


_receivers = {event: _count(event) for event in _EVENTS}
for _event, _signal in _EVENTS.items():
    _signal.connect(_receivers[_event], weak=False)


@bp.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


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
