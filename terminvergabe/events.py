"""Live events for the screens: announced inside a transaction, published after it commits.

Two brokers with one interface:
- `MemoryBroker`: in-process fan-out, for the development server and a single worker;
- `PostgresBroker`: NOTIFY on publish and one LISTEN connection per process (psycopg 3), so
  that with several workers or hosts every open screen gets every event.
Config `EVENT_BROKER`: "memory", "postgresql", or "auto" (PostgreSQL when the database is).

Each process keeps the recent events in a ring buffer so that a screen that reconnects with
Last-Event-ID gets what it missed (when still buffered); it always gets a full snapshot too.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import queue
import threading
import time

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from terminvergabe.db import db

log = logging.getLogger(__name__)

CHANNEL = "terminvergabe_events"
PENDING_KEY = "pending_events"
BUFFER_SIZE = 1000
_sequence = itertools.count(1)


def new_event_id() -> str:
    """Sortable across processes: milliseconds, then process and a counter as tie-breakers."""
    return f"{time.time_ns() // 1_000_000:014d}-{os.getpid():07d}-{next(_sequence):09d}"


def announce(office_id: int, type_: str, **data) -> None:
    """Queue an event on the current transaction; it is published only if the commit succeeds."""
    pending = db.session.info.setdefault(PENDING_KEY, [])
    pending.append({"office": office_id, "type": type_, **data})


def _current_broker():
    return current_app.extensions.get("event_broker") if has_app_context() else None


def _stamp(pending: list[dict]) -> None:
    for item in pending:
        item.setdefault("id", new_event_id())


@sa_event.listens_for(Session, "before_commit")
def _notify_in_transaction(session):
    """PostgreSQL: NOTIFY inside the transaction; the server delivers it only on commit, so
    listeners never see an event of a change that was rolled back."""
    broker = _current_broker()
    if not isinstance(broker, PostgresBroker) or session.in_nested_transaction():
        return
    pending = session.info.pop(PENDING_KEY, None)
    if pending:
        _stamp(pending)
        for item in pending:
            session.execute(
                sa.text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": json.dumps(item, separators=(",", ":"))},
            )


@sa_event.listens_for(Session, "after_commit")
def _publish_after_commit(session):
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    broker = _current_broker()
    if broker is None:
        return
    _stamp(pending)
    for item in pending:
        try:
            broker.publish(item)
        except Exception:  # a lost live event must never undo a committed change
            log.exception("could not publish %s", item.get("type"))


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session, previous_transaction):
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(PENDING_KEY, None)


class Subscription:
    def __init__(self, broker: MemoryBroker, office_id: int):
        self.broker = broker
        self.office_id = office_id
        self.queue: queue.Queue = queue.Queue(maxsize=1000)

    def get(self, timeout: float) -> dict | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.broker.unsubscribe(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class MemoryBroker:
    """Fan-out to the subscribers of this process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[Subscription]] = collections.defaultdict(set)
        self._recent: collections.deque = collections.deque(maxlen=BUFFER_SIZE)
        # Before the first event the screens connecting now share one id (and so one snapshot).
        self._start_id = new_event_id()

    def subscribe(self, office_id: int) -> Subscription:
        subscription = Subscription(self, office_id)
        with self._lock:
            self._subscribers[office_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers[subscription.office_id].discard(subscription)

    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subscribers.values())

    def publish(self, item: dict) -> None:
        self.dispatch(item)

    def dispatch(self, item: dict) -> None:
        with self._lock:
            self._recent.append(item)
            targets = list(self._subscribers.get(item["office"], ()))
        for subscription in targets:
            try:
                subscription.queue.put_nowait(item)
            except queue.Full:  # a stuck screen must not block the others
                log.warning("dropping event for a slow screen")

    def since(self, office_id: int, last_event_id: str) -> list[dict] | None:
        """Events of the office after `last_event_id`, or None when it is no longer buffered."""
        with self._lock:
            recent = list(self._recent)
        if not recent or last_event_id < recent[0]["id"]:
            return None
        return [e for e in recent if e["office"] == office_id and e["id"] > last_event_id]

    def latest_id(self) -> str:
        with self._lock:
            return self._recent[-1]["id"] if self._recent else self._start_id

    def close(self) -> None:
        pass


class PostgresBroker(MemoryBroker):
    """NOTIFY to publish; a background thread LISTENs and fans out to this process's screens.
    NOTIFY payloads are small JSON documents (the limit is 8000 bytes)."""

    def __init__(self, conninfo: str):
        super().__init__()
        self.conninfo = conninfo
        self._publish_lock = threading.Lock()
        self._listening = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, office_id: int) -> Subscription:
        """The LISTEN thread starts with the first screen of this process."""
        with self._publish_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen_forever, daemon=True, name="event-listener"
                )
                self._thread.start()
        subscription = super().subscribe(office_id)
        self._listening.wait(10)
        return subscription

    def wait_until_listening(self, timeout: float = 10) -> bool:
        return self._listening.wait(timeout)

    def publish(self, item: dict) -> None:
        """Outside a session transaction (events normally go out in `_notify_in_transaction`)."""
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(item)))

    def _listen_forever(self) -> None:
        import psycopg

        while not self._stopped.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    while not self._stopped.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self.dispatch(json.loads(notify.payload))
            except Exception:  # reconnect after a database restart
                self._listening.clear()
                if not self._stopped.is_set():
                    log.warning("event listener lost its connection; reconnecting")
                    time.sleep(0.5)

    def close(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=3)


def _libpq_url(sqlalchemy_url: str) -> str:
    url = sa.engine.make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def make_broker(app):
    kind = app.config.get("EVENT_BROKER", "auto")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if kind == "auto":
        kind = "postgresql" if url.startswith("postgresql") else "memory"
    if kind == "postgresql":
        return PostgresBroker(_libpq_url(url))
    return MemoryBroker()


def broker() -> MemoryBroker:
    return current_app.extensions["event_broker"]


def init_app(app) -> None:
    app.extensions["event_broker"] = make_broker(app)
