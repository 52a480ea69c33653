"""Several server processes: a call made through one process reaches a display connected to
another (PostgreSQL LISTEN/NOTIFY). Needs TERMINVERGABE_TEST_DATABASE_URL on PostgreSQL."""

import datetime as dt
import http.client
import http.cookiejar
import urllib.parse
import urllib.request

import pytest

from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.counter import checkin
from terminvergabe.db import db
from tests.auth.staff import PASSWORD, create_staff_set
from tests.conftest import TEST_DATABASE_URL
from tests.counter.servers import server_process

pytestmark = pytest.mark.concurrency


class Stream:
    """A raw SSE connection, read event by event."""

    def __init__(self, base: str, path: str, timeout: float = 10):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        assert self.response.status == 200

    def next_event(self) -> tuple[str, str]:
        fields = {}
        while True:
            line = self.response.fp.readline().decode().rstrip("\n")
            if not line:
                if "event" in fields:
                    return fields["event"], fields.get("data", "")
                fields = {}
                continue
            if ": " in line:
                key, value = line.split(": ", 1)
                fields[key] = value

    def until(self, event: str) -> str:
        while True:
            name, data = self.next_event()
            if name == event:
                return data

    def close(self):
        self.conn.close()


def _clerk_opener(base: str):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    body = urllib.parse.urlencode({"login": "clerk", "password": PASSWORD}).encode()
    opener.open(base + "/staff/login", data=body, timeout=10).close()
    return opener


@pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"), reason="needs PostgreSQL"
)
@pytest.mark.parametrize("broker", ["postgresql", "memory"])
def test_call_through_one_process_reaches_display_on_another(app, office, broker):
    """With LISTEN/NOTIFY the call crosses processes; the in-process broker (the control
    experiment) cannot, and the display on the other process never hears of it."""
    real_now = dt.datetime.now(dt.UTC)  # the server processes run on the real clock
    create_staff_set(office)
    _, token = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartebereich", real_now)
    ticket = checkin.walk_in(office, office.services[0].id, real_now)
    number, counter_id = ticket.display_number, office.counters[0].id
    db.session.commit()

    with (
        server_process(TEST_DATABASE_URL, EVENT_BROKER=broker) as first,
        server_process(TEST_DATABASE_URL, EVENT_BROKER=broker) as second,
    ):
        timeout = 4 if broker == "memory" else 10
        display = Stream(second, f"/display/{token}/events?lang=en", timeout)
        assert '"waiting":1' in display.until("state")
        clerk = _clerk_opener(first)
        clerk.open(first + f"/counter/{counter_id}/call-next", data=b"", timeout=10).close()
        if broker == "memory":
            with pytest.raises(TimeoutError):
                display.until("call")
            display.close()
            return
        call = display.until("call")
        assert number in call and "Schalter 1" in call
        assert '"waiting":0' in display.until("state")
        display.close()
