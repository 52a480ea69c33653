"""Input no route can use, refused before any route sees it: control characters in the path,
the query, a header or a form field; a body over the size limit; JSON nested deeper than any
request needs. Each answers 400 (413 for the size) with a translated message, and nothing runs.

Form fields may carry tabs and line breaks here (a multi-line text takes them); single-line
fields refuse them through their rule (terminvergabe/fields.py) with a message at the field.
JSON strings are checked by the API's models, which name the field.
"""

from __future__ import annotations

import re

from flask import Flask, Request, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from terminvergabe.errors import DomainError
from terminvergabe.fields import LINE_BREAKS, has_control_characters

# Strings (with their escapes) and everything but brackets, removed before brackets are counted.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
# Header values arrive as Latin-1 text of their bytes, so C1 "controls" there are parts of UTF-8
# characters; C0 controls and DEL are refused (RFC 9110 allows a tab inside a value).
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def init_app(app: Flask) -> None:
    """Registered before the rate limiter, whose own checks read the body (an email address)."""
    app.request_class = GuardedRequest
    app.before_request(refuse_unusable_input)


def refuse_unusable_input() -> None:
    if request.content_length and request.content_length > current_app.config.get(
        "MAX_CONTENT_LENGTH", float("inf")
    ):
        raise RequestEntityTooLarge()
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if any(has_control_characters(text) for text in texts):
        raise _bad_characters()
    for name, value in request.headers.items():
        if _HEADER_CONTROL.search(name) or _HEADER_CONTROL.search(value):
            raise _bad_characters()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = [*request.form.keys(), *request.form.values()]
        if any(has_control_characters(text, LINE_BREAKS) for text in form):
            raise _bad_characters()


def _bad_characters() -> DomainError:
    return DomainError(
        "bad_characters",
        _("The request contains control characters, which no field accepts. Please check it."),
        status=400,
    )


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than `limit` deep (checked before
    parsing, which would recurse once per level)."""
    depth = 0
    for bracket in _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


class GuardedRequest(Request):
    """Flask's request, refusing a JSON body nested deeper than MAX_JSON_DEPTH before it is
    parsed. The refusal is no ValueError, so `get_json(silent=True)` does not hide it."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if force or self.is_json:
            text = self.get_data(cache=cache, as_text=True)
            if json_depth_exceeds(text, current_app.config["MAX_JSON_DEPTH"]):
                raise DomainError(
                    "too_deep",
                    _("The request body is nested too deeply. Please send a simpler JSON object."),
                    status=400,
                )
        return super().get_json(force=force, silent=silent, cache=cache)
