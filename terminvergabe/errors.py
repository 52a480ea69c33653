"""Errors a person can read: translated pages for the browser, JSON with a stable code for the API.
No traceback ever reaches a user."""

import contextlib
import sqlite3

import sqlalchemy as sa
from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from terminvergabe.db import db


class DomainError(Exception):
    """A refusal by a domain operation: a stable code for machines, a translated message for
    people, and optional details (e.g. alternative times)."""

    status = 409

    def __init__(self, code: str, message: str, status: int | None = None, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check your input."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist."),
        405: _("This action is not possible here."),
        413: _("The request is too large. Please send less data."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing was changed. Please try again."),
        503: _(
            "The service is briefly unavailable. Nothing was changed. Please try again in a moment."
        ),
    }


# How long a client is asked to wait while the database is unreachable: about as long as a
# PostgreSQL restart or failover takes.
RETRY_AFTER_SECONDS = 5

# PostgreSQL SQLSTATEs of a server that cannot be reached or takes no connection now: connection
# exceptions (class 08), shutdown, crash recovery, start-up (57P01-57P03), too many
# connections (53300). Deadlocks, serialization failures and lock or statement timeouts are
# not among them: the server is there, and at READ COMMITTED with the locks the operations take
# they point to a mistake in the code (or a timeout set too short), which deserves its traceback;
# the 500 page says that nothing was changed and to try again as well.
_UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` says that the database cannot be reached right now (restart, failover,
    dropped connection, no free connection in the pool) rather than that a statement is wrong."""
    if isinstance(error, sa.exc.DisconnectionError | sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:  # the driver lost the connection in the middle of a request
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):  # the file cannot be opened (missing, no access)
        return getattr(error.orig, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_CANTOPEN
    # psycopg: no SQLSTATE when the client could not connect at all (refused, timed out)
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_UNREACHABLE_SQLSTATES)


def _rollback() -> None:
    """End the session's transaction. When its connection is already gone the rollback fails,
    but it has dropped the connection and the transaction with it; an error handler must not
    fail in turn."""
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()


def _retries_by_itself() -> bool:
    """Whether the error page tries again by itself (static/retry.js): an outage's page, of a GET
    request, which is safe to repeat; a form is never sent again, and an error that is not an
    outage would only come back."""
    return g.get("database_outage", False) and request.method == "GET"


def error_response(status: int, code: str, message: str, **details):
    if wants_json():
        body = {"error": {"code": code, "message": message, **details}}
        return jsonify(body), status
    retry_after = RETRY_AFTER_SECONDS if _retries_by_itself() else None
    page = render_template("error.html", status=status, message=message, retry_after=retry_after)
    return page, status


def init_app(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        _rollback()  # the refusal stands even when the database went away meanwhile
        return error_response(error.status, error.code, error.message, **error.details)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(
            400, "csrf", _("Your form has expired. Please reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = _messages().get(status, error.description or "")
        response = error_response(status, f"http_{status}", message)
        if status in (405, 429):
            # keep Allow (405, RFC 9110) and Retry-After (429) from the original error
            body, code = response
            resp = app.make_response((body, code))
            for key, value in error.get_headers():
                if key.lower() != "content-type":
                    resp.headers[key] = value
            return resp
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        _rollback()
        if database_unavailable(error):
            return database_outage(error)
        app.logger.exception("unhandled error", exc_info=error)
        return error_response(500, "internal", _messages()[500])

    def database_outage(error: Exception):
        # One line, no traceback: during a restart every request in flight ends here. The
        # endpoint, not the path, which can carry a manage or device token; the driver's first
        # line only, as the full text can carry the statement's parameters (names, addresses).
        reason = str(getattr(error, "orig", None) or error).partition("\n")[0]
        app.logger.warning(
            "database unavailable: %s %s: %s", request.method, request.endpoint, reason
        )
        g.staff = None  # the page must not look the staff member up again (auth/access.py)
        g.database_outage = True
        return error_response(503, "unavailable", _messages()[503])

    # Registered before the rate limiter (create_app), so it runs after it: on a rate-limited
    # route Flask-Limiter sets Retry-After to the end of the rate window, minutes away, while
    # the database is back within seconds.
    @app.after_request
    def retry_after_outage(response):
        if g.pop("database_outage", False):
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    app.register_error_handler(InternalServerError, unexpected_error)
