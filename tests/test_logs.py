"""Logs (terminvergabe/logs.py): JSON lines with a request id, and no token in any of them —
gunicorn's access log, the app's own log, and the development server's request lines."""

import datetime as dt
import io
import json
import logging
import os
import runpy
import secrets
import threading
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gunicorn.config import Config as GunicornConfig
from werkzeug.serving import make_server

from terminvergabe import logs
from terminvergabe.auth import operations as auth_ops
from terminvergabe.auth.models import DeviceKind
from terminvergabe.counter import checkin
from terminvergabe.db import db
from terminvergabe.integrations import operations as feed_ops
from tests.counter.helpers import at, book, service

ROOT = Path(__file__).resolve().parents[1]

# A User-Agent that would end a printf-style JSON string and forge a field of its own.
FORGING_AGENT = 'Mozilla", "status": 200, "forged": "yes'


@pytest.fixture
def tokens(office, now):
    """A real token of every kind that travels in a URL; the waitlist's are token-shaped."""
    appointment = book(office, at(11), now)
    ticket = checkin.walk_in(office, service(office, "Personal").id, now)
    _display, display = auth_ops.create_device(office, DeviceKind.DISPLAY, "Wartezone", now)
    _kiosk, kiosk = auth_ops.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    values = {
        "a": appointment.manage_token,
        "api": appointment.manage_token,
        "t": ticket.status_token,
        "display": display,
        "kiosk": kiosk,
        "waitlist": secrets.token_urlsafe(24),
        "status": ticket.status_token,
        "checkin": appointment.checkin_token,
        "feeds": feed_ops.create_feed(None, now, counter=office.counters[0]),
    }
    db.session.commit()  # read before: after the commit a read would open a transaction
    return values


def token_urls(app, tokens, skip_streams=False):
    """A URL for every rule with a token in it, filled with real tokens, a token in the query
    string too."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "token" not in rule.arguments:
            continue
        if skip_streams and rule.rule.endswith("/events"):
            continue
        kind = rule.rule.strip("/").split("/")[0]
        values = {"token": tokens[kind], "status": tokens["status"], "date": "2026-01-13"}
        path = rule.rule
        for name in rule.arguments - set(rule.defaults or ()):
            path = path.replace(f"<{name}>", values[name])
        query = f"?lang=en&token={tokens['a']}&code={tokens['checkin']}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path + query))
    assert len(urls) > 20, urls
    return urls


def secrets_in(text, tokens):
    return [name for name, token in tokens.items() if token in text]


def json_lines(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


@pytest.fixture
def app_log(app_ctx):
    """What the app's loggers write, formatted as in production."""
    stream = io.StringIO()
    handler = logs.json_handler(stream)
    logger = logging.getLogger("terminvergabe")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def gunicorn_settings(monkeypatch) -> dict:
    """The settings of gunicorn.conf.py (which writes to os.environ: a copy here)."""
    monkeypatch.setattr(os, "environ", dict(os.environ))
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {k: v for k, v in settings.items() if k in GunicornConfig().settings}


@pytest.fixture
def gunicorn_access_log(monkeypatch):
    """gunicorn's logger as gunicorn.conf.py sets it up, its handlers (and their formatters)
    writing to a buffer instead of stdout."""
    config = GunicornConfig()
    for name, value in gunicorn_settings(monkeypatch).items():
        config.set(name, value)
    logger = config.logger_class(config)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)

    def read():
        text = stream.getvalue()
        stream.seek(0)
        stream.truncate()
        return text

    yield logger, read
    for log in (logger.error_log, logger.access_log):
        for handler in list(log.handlers):
            log.removeHandler(handler)


@pytest.fixture
def served_environ(app_ctx, monkeypatch):
    """The WSGI environ the app was given last, as gunicorn hands it to its access log."""
    seen = {}
    wsgi_app = app_ctx.wsgi_app

    def keep(environ, start_response):
        seen["environ"] = environ
        return wsgi_app(environ, start_response)

    monkeypatch.setattr(app_ctx, "wsgi_app", keep)
    return seen


def test_no_token_in_gunicorns_access_log_or_the_apps_log(
    client, tokens, app_log, gunicorn_access_log, served_environ
):
    logger, read = gunicorn_access_log
    read()
    for method, url in token_urls(client.application, tokens):
        response = client.open(url, method=method, headers={"User-Agent": FORGING_AGENT})
        streams = response.mimetype == "text/event-stream"  # never ends: not read
        resp = types.SimpleNamespace(
            status=response.status, sent=0 if streams else len(response.data)
        )
        logger.access(resp, None, served_environ["environ"], dt.timedelta(milliseconds=12))
        response.close()
    access = read()
    records = json_lines(access)
    assert secrets_in(access, tokens) == []
    assert secrets_in(app_log.getvalue(), tokens) == []
    json_lines(app_log.getvalue())
    assert {r["route"] for r in records} >= {"/a/<token>", "/t/<token>", "/display/<token>"}
    assert all(r["request_id"] and r["agent"] == FORGING_AGENT for r in records)
    assert "forged" not in records[0]


def test_request_id_in_the_apps_log_and_the_response(client, tokens, app_log, take_database_down):
    take_database_down()  # the app logs one warning line per request then
    response = client.get(f"/a/{tokens['a']}?lang=en")
    assert response.status_code == 503
    (record,) = json_lines(app_log.getvalue())
    assert record["request_id"] == response.headers["X-Request-ID"]
    assert record["level"] == "WARNING"
    assert secrets_in(app_log.getvalue(), tokens) == []


def test_request_id_of_a_proxy_is_taken_only_when_trusted_and_sane(client, monkeypatch):
    sane = "0f2a9c7e-1b5d-4c11-9a52-6d1e0f3b8c77"
    assert client.get("/healthz", headers={"X-Request-ID": sane}).headers["X-Request-ID"] != sane
    monkeypatch.setitem(client.application.config, "TRUSTED_PROXY_HOPS", 1)
    assert client.get("/healthz", headers={"X-Request-ID": sane}).headers["X-Request-ID"] == sane
    for forged in ('x" , "level": "ERROR', "a" * 200, "short"):
        answered = client.get("/healthz", headers={"X-Request-ID": forged})
        assert answered.headers["X-Request-ID"] != forged
        assert len(answered.headers["X-Request-ID"]) == 32


def test_unmatched_paths_keep_only_route_words(app):
    token = secrets.token_urlsafe(32)
    assert logs.route_of(app, f"/a/{token}") == "/a/<token>"
    assert logs.route_of(app, f"/a/{token}/nonsense") == "/a/<?>/<?>"
    assert logs.route_of(app, f"/{token}") == "/<?>"
    assert logs.route_of(app, "/api/v1/offices") == "/api/v1/offices"


def test_gunicorn_error_log_drops_the_uri_of_a_failed_request(gunicorn_access_log):
    logger, _read = gunicorn_access_log
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter())
    logger.error_log.addHandler(handler)
    token = secrets.token_urlsafe(32)
    logger.error("Error handling request %s", f"/a/{token}")
    assert token not in stream.getvalue()
    assert json_lines(stream.getvalue())[0]["message"] == "Error handling request"


@pytest.fixture
def dev_server(app_ctx):
    server = make_server("127.0.0.1", 0, app_ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stream = io.StringIO()
    handler = logs.json_handler(stream)
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.addHandler(handler)
    yield f"http://127.0.0.1:{server.server_port}", stream
    werkzeug.removeHandler(handler)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_no_token_in_the_development_servers_log(dev_server, tokens, app):
    base, stream = dev_server
    for method, url in token_urls(app, tokens, skip_streams=True):
        request = urllib.request.Request(  # noqa: S310 - our own server
            base + url, method=method, data=b"" if method == "POST" else None
        )
        request.add_header("User-Agent", FORGING_AGENT)
        try:
            urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - our own server
        except urllib.error.HTTPError as error:
            error.close()
    text = stream.getvalue()
    records = [r for r in json_lines(text) if r["message"] == "request"]
    assert secrets_in(text, tokens) == []
    assert len(records) >= 20
    assert all(r["request_id"] and r["route"] for r in records)
