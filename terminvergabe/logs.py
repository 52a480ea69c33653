"""Logs as JSON lines, one per record, each with the request's id; never a token.

Manage, check-in, ticket-status and device tokens travel in URL paths (`/a/<token>`,
`/t/<token>`, `/display/<token>` ...). So no log line carries a request's path: it carries the
rule the path matched, with its placeholders (`/a/<token>`), or for a path that matched no rule
its literal route words only (`/a/<?>/nonsense` -> `/a/<?>/<?>`). Query strings are not logged.

- the app's own loggers ("terminvergabe" and below) write through `json_handler()`;
- gunicorn's access and error logs through `GunicornLogger` (gunicorn.conf.py);
- the development server's request lines through `DevServerFilter`.

The request id comes from a trusted proxy's X-Request-ID when it is sane, else it is made here;
the response sends it back in X-Request-ID.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import uuid

from flask import Flask, current_app, g, has_request_context, request
from gunicorn.glogging import Logger as _GunicornLogger
from pythonjsonlogger.json import JsonFormatter
from werkzeug.exceptions import HTTPException

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's request id looks like (nginx's $request_id, a UUID, a trace id): short, and
# nothing that could break or forge a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

# WSGI environ keys the app fills for the server's access log.
ROUTE_KEY = "terminvergabe.route"
REQUEST_ID_KEY = "terminvergabe.request_id"

UNKNOWN_SEGMENT = "<?>"

_FIELDS = ("levelname", "name", "message")
_RENAMED = {"levelname": "level", "name": "logger"}


def formatter() -> logging.Formatter:
    """JSON with `time` (ISO 8601, UTC), `level`, `logger`, `message`, `request_id` and the
    record's extra fields; a quote or line break in a value stays inside its JSON string."""
    return JsonFormatter(
        _FIELDS, rename_fields=_RENAMED, timestamp="time", defaults={"request_id": None}
    )


class RequestIdFilter(logging.Filter):
    """Adds the id of the request being served (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


def json_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter())
    handler.addFilter(RequestIdFilter())
    return handler


def request_id(header: str | None, trusted: bool) -> str:
    if trusted and header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def route_of(app: Flask, path: str) -> str:
    """`path` as it may be logged: the rule it matches, placeholders and all; for no match, the
    path with every segment that is not a literal word of some rule replaced by <?>."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(path, return_rule=True)
        return rule.rule
    except HTTPException:  # 404, 405, a redirect (RequestRedirect): the path, redacted
        words = _route_words(app)
        parts = path.split("/")
        return "/".join(part if part in words or not part else UNKNOWN_SEGMENT for part in parts)


def _route_words(app: Flask) -> frozenset[str]:
    words = app.extensions.get("log_route_words")
    if words is None:
        words = frozenset(
            part
            for rule in app.url_map.iter_rules()
            for part in rule.rule.split("/")
            if part and "<" not in part
        )
        app.extensions["log_route_words"] = words
    return words


def _remember_request() -> None:
    """Before anything else in a request: its id and its loggable route, in `g` for the app's
    log records and in the WSGI environ for the server's access log."""
    trusted = bool(current_app.config.get("TRUSTED_PROXY_HOPS"))
    g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER), trusted)
    rule = request.url_rule
    route = rule.rule if rule is not None else route_of(current_app, request.path)
    request.environ[REQUEST_ID_KEY] = g.request_id
    request.environ[ROUTE_KEY] = route
    _dev_server_request.value = (g.request_id, request.method, route)


def _send_request_id(response):
    if "request_id" in g:
        response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def init_app(app: Flask) -> None:
    """Registered before every other before_request hook, so that even a request refused by
    one of them (CSRF, rate limit, login) has its id and route."""
    logger = logging.getLogger("terminvergabe")
    if not logger.handlers:
        logger.addHandler(json_handler())
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    werkzeug = logging.getLogger("werkzeug")  # the development server
    if not any(isinstance(f, DevServerFilter) for f in werkzeug.filters):
        werkzeug.addFilter(DevServerFilter())
    if not werkzeug.handlers:
        werkzeug.addHandler(json_handler())
        werkzeug.setLevel(logging.INFO)
    for handler in werkzeug.handlers:  # werkzeug's own, when the server started first
        if not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(formatter())
    app.before_request(_remember_request)
    app.after_request(_send_request_id)


# -- the development server ------------------------------------------------------------------

# The development server logs a request in the thread that served it, after the app is done.
_dev_server_request = threading.local()


class DevServerFilter(logging.Filter):
    """Werkzeug's request line ("GET /a/<real token> HTTP/1.1" 200 -) becomes a record with the
    route instead of the path; its other lines (start-up, errors) pass as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.args, tuple) and len(record.args) == 3):
            return True
        if '"%s" %s %s' not in str(record.msg):
            return True
        _line, status, size = record.args
        request_id_, method, route = getattr(_dev_server_request, "value", (None, None, None))
        _dev_server_request.value = (None, None, None)
        record.msg, record.args = "request", ()
        record.request_id = request_id_
        record.method, record.route, record.status, record.bytes = method, route, status, size
        return True


# -- gunicorn ----------------------------------------------------------------------------------


def access_fields(environ: dict, status: str | int | None, size: int | None, seconds: float):
    """One access log record: no path and no query string, the route the app matched."""
    code = str(status or "").split(" ", 1)[0]
    return {
        "request_id": environ.get(REQUEST_ID_KEY),
        "remote": environ.get("REMOTE_ADDR"),
        "method": environ.get("REQUEST_METHOD"),
        "route": environ.get(ROUTE_KEY),
        "status": int(code) if code.isdigit() else None,
        "bytes": size,
        "duration_ms": round(seconds * 1000, 1),
        "agent": environ.get("HTTP_USER_AGENT"),
    }


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with JSON lines: the access log from `access_fields` (its
    `access_log_format` is not used), the error log through the same formatter."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter())
        if not any(isinstance(f, _NoRequestUri) for f in self.error_log.filters):
            self.error_log.addFilter(_NoRequestUri())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        seconds = request_time.total_seconds()
        fields = access_fields(environ, resp.status, getattr(resp, "sent", None), seconds)
        self.access_log.info("request", extra=fields)


class _NoRequestUri(logging.Filter):
    """gunicorn names the request URI when the app raised out of it ("Error handling request
    /a/<real token>"): the line keeps its traceback, not the URI."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Error handling request"):
            record.msg, record.args = "Error handling request", ()
        return True
