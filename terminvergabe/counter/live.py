"""Server-Sent Events for the screens.

A stream subscribes to its office's events, then sends a full snapshot (rendered HTML of the
live regions) on connect and after every event, so a screen that missed anything shows the
right state again. Calls missed during a short drop (Last-Event-ID still in the buffer) are
replayed first so a display can still announce them. The stream holds no database session while
it waits: each snapshot opens a session, renders, and removes it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from flask import Response, current_app, request, stream_with_context

from terminvergabe.counter import events
from terminvergabe.db import db

KEEPALIVE_SECONDS = 15
RETRY_MS = 2000


class Gone(Exception):
    """The screen may not go on (device revoked, ticket gone): the stream ends."""


def _format(event: str, data: dict, event_id: str | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return "\n".join(lines) + "\n\n"


def public_call(item: dict) -> dict:
    return {
        "number": item.get("number"),
        "counter": item.get("counter"),
        "recall": item.get("recall", False),
    }


def stream(
    office_id: int,
    snapshot: Callable[[str], dict],
    forward_calls: bool = False,
) -> Response:
    """An SSE response. `snapshot(event_id)` renders the screen's state (request context)."""
    broker = events.broker()
    last_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    subscription = broker.subscribe(office_id)
    missed = broker.since(office_id, last_id) if last_id else None

    def render(event_id: str) -> str:
        try:
            return _format("state", snapshot(event_id), event_id)
        finally:
            db.session.remove()  # nothing is held open while the stream waits

    @stream_with_context
    def generate():
        try:
            yield f"retry: {RETRY_MS}\n\n"
            if forward_calls:
                for item in missed or []:
                    if item["type"] == "call":
                        yield _format("call", {**public_call(item), "missed": True}, item["id"])
            yield render(broker.latest_id())
            while True:
                item = subscription.get(timeout=KEEPALIVE_SECONDS)
                if item is None:
                    yield ": keep-alive\n\n"
                    continue
                if forward_calls and item["type"] == "call":
                    yield _format("call", public_call(item), item["id"])
                yield render(item["id"])
        except Gone:
            yield _format("gone", {})
        finally:
            subscription.close()

    response = Response(generate(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # no proxy buffering (nginx)
    return response


class SnapshotCache:
    """Many displays of one office show the same thing: render once per event and language."""

    def __init__(self, size: int = 64):
        self._lock = threading.Lock()
        self._items: dict = {}
        self.size = size

    def get(self, key, build: Callable[[], dict]) -> dict:
        with self._lock:
            if key in self._items:
                return self._items[key]
        value = build()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = value
        return value


def cache() -> SnapshotCache:
    return current_app.extensions.setdefault("counter_snapshot_cache", SnapshotCache())
