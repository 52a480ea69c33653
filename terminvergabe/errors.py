"""Errors a person can read: translated pages for the browser, JSON with a stable code for the API.
No traceback ever reaches a user."""

from flask import jsonify, render_template, request
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
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing was changed. Please try again."),
    }


def error_response(status: int, code: str, message: str, **details):
    if wants_json():
        body = {"error": {"code": code, "message": message, **details}}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
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
        db.session.rollback()
        app.logger.exception("unhandled error", exc_info=error)
        return error_response(500, "internal", _messages()[500])

    app.register_error_handler(InternalServerError, unexpected_error)
