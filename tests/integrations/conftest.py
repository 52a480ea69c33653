"""A real webhook receiver (http.server on 127.0.0.1 in a thread) and helpers."""

import base64
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from terminvergabe import time
from terminvergabe.db import db
from terminvergabe.integrations import operations
from terminvergabe.integrations.models import Event


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def verify(secret: str, headers, body: bytes) -> bool:
    """Standard Webhooks verification, written from the specification: the key is the base64
    after "whsec_"; the signed content is "<webhook-id>.<webhook-timestamp>.<body>"; the
    header holds space-separated "v1,<base64 HMAC-SHA256>" entries."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for entry in headers.get("webhook-signature", "").split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class Receiver:
    """Answers `status` (200 unless told) and records every request it got."""

    def __init__(self):
        self.port = free_port()
        self.status = 200
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = receiver.status
                    receiver.requests.append(
                        {"headers": dict(self.headers.items()), "body": body, "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self) -> list[dict]:
        """The requests answered 2xx, with lower-case headers and the parsed body."""
        with self.lock:
            found = [r for r in self.requests if 200 <= r["status"] < 300]
        return [
            {
                "headers": {k.lower(): v for k, v in r["headers"].items()},
                "body": r["body"],
                "json": json.loads(r["body"]),
            }
            for r in found
        ]


@pytest.fixture
def receiver(app_ctx):
    server = Receiver()
    server.start()
    yield server
    server.stop()


def register(office, url, level="contact", events=None, office_only=False):
    """An endpoint of the office's municipality, committed: (endpoint, secret)."""
    endpoint, secret = operations.create_endpoint(
        office.municipality_id,
        url,
        events or [e.value for e in Event],
        level,
        None,
        time.now(),
        office_id=office.id if office_only else None,
    )
    db.session.commit()
    return endpoint, secret
