"""Server-Sent Events for the screens.

A stream subscribes to its office's events, then sends a full snapshot (rendered HTML of the
live regions) on connect and after every event, so a screen that missed anything shows the
right state again. Calls missed during a short drop (Last-Event-ID still in the buffer) are
replayed first so a display can still announce them.

Fan-out cost: one event wakes every open screen of the office, so the work per screen and
event is kept to writing bytes that are already there.
- Screens that show the same thing (all waiting-room displays of an office in one language)
  share one rendering per event and process (`Frames`); the first stream to wake renders, the
  others wait for it and send the same bytes. A call frame is formatted once per event.
- Events that arrive together are sent together, with one snapshot after the last of them.
- Whether the screen may go on (device not revoked, ticket still there) is not asked of the
  database per event: a revocation is itself an event that ends the device's streams at once,
  and every `CHECK_SECONDS` the stream asks the database anyway, for a revocation whose event
  was lost (database restart) — so a revoked screen stops within that time at the latest.
- A stream holds no database session while it waits: each snapshot opens one and removes it.
- Each process serves at most `LIVE_STREAMS` streams (gunicorn.conf.py sets it below the
  number of threads), so screens can never take the threads that pages need. A screen over
  the limit is told to come back in a few seconds; it reconnects, usually to another worker.
- A stream refused with an error status (503 while the database is down) is not retried by
  the browser; counter.js does, with backoff, after a HEAD request to the same URL says that
  the screen may still connect (a revoked device is refused there, and stops).
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Response, current_app, request, stream_with_context

from terminvergabe import events
from terminvergabe.cache import Cache
from terminvergabe.db import db

T = TypeVar("T")

KEEPALIVE_SECONDS = 15
CHECK_SECONDS = 30
RETRY_MS = 2000
# A screen turned away because its process serves the most streams it may: back in 2-5 s.
BUSY_RETRY_MS = (2000, 5000)


class Gone(Exception):
    """The screen may not go on (device revoked, ticket gone): the stream ends."""


def _format(event: str, data: dict, event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


def public_call(item: dict) -> dict:
    return {
        "number": item.get("number"),
        "counter": item.get("counter"),
        "recall": item.get("recall", False),
    }


def _call_frame(item: dict) -> bytes:
    """The same event dict reaches every screen of the office: format it once."""
    frame = item.get("_call_frame")
    if frame is None:
        frame = item["_call_frame"] = _format("call", public_call(item), item["id"])
    return frame


class _Entry:
    __slots__ = ("lock", "value")

    def __init__(self):
        self.lock = threading.Lock()
        self.value = None


class Frames:
    """State frames shared by the screens of one audience, rendered once per event (and what
    many different screens read alike, such as an office's queue for the citizens' phones): the
    first stream to ask renders while the others wait for its result. A frame is reused for at most
    `max_age` seconds: a screen that connects long after the last event gets a fresh one."""

    def __init__(self, size: int = 256, max_age: float = 5.0):
        self._entries = Cache(size)
        self.size = size
        self.max_age = max_age

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        entry = self._entries.setdefault(key, _Entry, self.max_age)
        with entry.lock:
            if entry.value is None:  # first here, or the one before failed: render
                entry.value = build()
            return entry.value


def frames() -> Frames:
    return current_app.extensions.setdefault("counter_frames", Frames())


class _Limit:
    """How many streams this process serves now."""

    def __init__(self):
        self._lock = threading.Lock()
        self.open = 0

    def enter(self, limit: int) -> bool:
        with self._lock:
            if limit and self.open >= limit:
                return False
            self.open += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.open -= 1


def _limit() -> _Limit:
    return current_app.extensions.setdefault("counter_stream_limit", _Limit())


def _busy() -> Response:
    retry = random.randint(*BUSY_RETRY_MS)  # noqa: S311 - spreads reconnects, no secret
    response = Response(f"retry: {retry}\n\n", mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    return response


def _drain(subscription, first: dict) -> list[dict]:
    """The event that woke the stream and any that came with it."""
    items = [first]
    while True:
        try:
            items.append(subscription.queue.get_nowait())
        except queue.Empty:
            return items


def stream(
    office_id: int,
    snapshot: Callable[[str], dict],
    forward_calls: bool = False,
    shared: Hashable | None = None,
    check: Callable[[], None] | None = None,
    ends: Callable[[dict], bool] | None = None,
) -> Response:
    """An SSE response. `snapshot(event_id)` renders the screen's state (request context).
    `shared`: screens with the same key show the same state (rendered once per event).
    `check()` raises Gone when the screen may not go on; it runs every CHECK_SECONDS.
    `ends(event)`: an event after which this screen may not go on (its revocation)."""
    if request.method == "HEAD":
        # A screen asks this before it reconnects after an error (counter.js): the view has
        # checked that it may go on (device, login, ticket), which is all the answer says.
        return Response(mimetype="text/event-stream", headers={"Cache-Control": "no-store"})
    limit = _limit()
    if not limit.enter(current_app.config.get("LIVE_STREAMS", 0)):
        return _busy()
    broker = events.broker()
    last_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    subscription = broker.subscribe(office_id)
    missed = broker.since(office_id, last_id) if last_id else None
    closed = []

    def close() -> None:
        """Once, whether the stream ran or its client left before the first byte."""
        if not closed:
            closed.append(True)
            subscription.close()
            limit.leave()

    def render(event_id: str) -> bytes:
        try:
            if shared is None:
                return _format("state", snapshot(event_id), event_id)
            return frames().get(
                (shared, event_id), lambda: _format("state", snapshot(event_id), event_id)
            )
        finally:
            db.session.remove()  # nothing is held open while the stream waits

    @stream_with_context
    def generate():
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            if forward_calls:
                for item in missed or []:
                    if item["type"] == "call":
                        yield _format("call", {**public_call(item), "missed": True}, item["id"])
            yield render(broker.latest_id())
            checked = time.monotonic()
            while True:
                wait = min(KEEPALIVE_SECONDS, max(0.0, checked + CHECK_SECONDS - time.monotonic()))
                item = subscription.get(timeout=wait)
                if check is not None and time.monotonic() - checked >= CHECK_SECONDS:
                    try:
                        check()
                    finally:
                        db.session.remove()
                    checked = time.monotonic()
                if item is None:
                    yield b": keep-alive\n\n"
                    continue
                items = _drain(subscription, item)
                if ends is not None and any(ends(i) for i in items):
                    raise Gone()
                if forward_calls:
                    for each in items:
                        if each["type"] == "call":
                            yield _call_frame(each)
                yield render(items[-1]["id"])
        except Gone:
            yield _format("gone", {})
        finally:
            close()

    response = Response(generate(), mimetype="text/event-stream")
    response.call_on_close(close)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # no proxy buffering (nginx)
    return response
