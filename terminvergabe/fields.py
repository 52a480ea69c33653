"""The fields people fill in (name, email address, phone number, login), each defined once.

The JSON API's models (citizen/schemas.py) and the HTML forms (citizen, waitlist, staff login,
erasure search) apply the same rule with the same translated message, and every email address
is stored and compared in the one form `email_key` gives it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.validators import StopValidation

# Tab, line feed and carriage return: allowed only in a field that takes several lines.
LINE_BREAKS = frozenset("\t\n\r")
# The same rule as a JSON Schema (ECMA-262) pattern: no C0 or C1 control character, no DEL.
NO_CONTROL_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"


def has_control_characters(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    """Control characters (NUL, which PostgreSQL cannot even compare, ESC, DEL, C1) and lone
    surrogates (which no database encoding takes)."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


class FieldError(ValueError):
    """A value a rule refuses, with the translated message for the person who typed it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TextRule:
    """One line of text (or several, with `multiline`): no control characters, at most
    `max_length` characters once stripped, required when `missing` gives its message, and a
    full match of `pattern` (a regular expression valid in Python and ECMA-262) when given."""

    max_length: int
    missing: Callable[[], str] | None = None
    pattern: str | None = None
    invalid: Callable[[], str] | None = None
    multiline: bool = False
    strip: bool = True

    def clean(self, value: str) -> str:
        """The value as it is stored; FieldError when the rule refuses it."""
        if has_control_characters(value, LINE_BREAKS if self.multiline else frozenset()):
            raise FieldError(_control_message(self.multiline))
        if len(value) > self.max_length:  # as typed, spaces included, as the API documents it
            raise FieldError(too_long_message(self.max_length))
        text = value.strip() if self.strip else value
        if not text:
            if self.missing is not None:
                raise FieldError(self.missing())
            return text
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            raise FieldError(self.invalid() if self.invalid else _("Please check this field."))
        return text

    def json_schema(self) -> dict:
        schema = {"type": "string", "maxLength": self.max_length}
        if self.pattern is None:
            schema["pattern"] = NO_CONTROL_PATTERN
        else:  # a pattern of printable characters also keeps control characters out
            optional = "" if self.missing else "?"
            schema["pattern"] = f"^(?: *{self.pattern} *){optional}$"
        if self.missing is not None:
            schema["minLength"] = 1
        return schema


@dataclass(frozen=True)
class EmailRule(TextRule):
    """An email address: syntax checked by email-validator, returned as its `email_key`."""

    def clean(self, value: str) -> str:
        text = super().clean(value)
        if not text:
            return text
        try:
            return _validated_email(text)
        except EmailNotValidError:
            raise FieldError(
                _("Please enter a valid email address, e.g. name@example.org.")
            ) from None

    def json_schema(self) -> dict:
        return {**super().json_schema(), "format": "email"}


def _control_message(multiline: bool) -> str:
    if multiline:
        return _("Please remove the control characters from this text.")
    return _("Please use no tabs, line breaks or other control characters here.")


def too_long_message(maximum: int) -> str:
    return ngettext(
        "Please use at most %(max)d character.",
        "Please use at most %(max)d characters.",
        maximum,
        max=maximum,
    )


def _validated_email(text: str) -> str:
    normalized = validate_email(
        unicodedata.normalize("NFC", text), check_deliverability=False
    ).normalized
    return unicodedata.normalize("NFC", normalized).lower()


def email_key(address: str) -> str:
    """The one form in which an email address is stored and compared, for the per-email booking
    cap, the waitlist, erasure and the per-email rate limit: Unicode NFC, the domain decoded
    from IDNA (xn--…) to Unicode, all lower-case. The local part is lower-cased too: no common
    mail provider tells Erika@ from erika@, and a cap that did could be passed by changing case.
    Text that is no address at all is still brought into one form, never refused here."""
    text = address.strip()
    try:
        return _validated_email(text)
    except EmailNotValidError:
        return unicodedata.normalize("NFC", text).lower()


NAME = TextRule(200, missing=lambda: _("Please enter your name."))
EMAIL = EmailRule(254, missing=lambda: _("Please enter your email address."))
PHONE = TextRule(
    50,
    pattern=r"\+?[0-9 ()/-]{3,}",
    invalid=lambda: _(
        "Please enter a phone number with digits only (and spaces, + - / ( )), e.g. 0221 123456."
    ),
)
LOGIN = TextRule(100, missing=lambda: _("Please enter your login name."))
# A password is taken as typed: spaces at either end are part of it.
PASSWORD = TextRule(200, missing=lambda: _("Please enter your password."), strip=False)

# The front desk and the office admin look a citizen up by their address.
CITIZEN_EMAIL = dataclasses.replace(
    EMAIL, missing=lambda: _("Please enter the citizen's email address.")
)


class Rule:
    """A rule as a WTForms validator: the field's data becomes the cleaned value, and the field
    carries `required` and `maxlength` for the browser."""

    def __init__(self, rule: TextRule):
        self.rule = rule
        self.field_flags = {"maxlength": rule.max_length}
        if rule.missing is not None:
            self.field_flags["required"] = True

    def __call__(self, form, field) -> None:
        try:
            field.data = self.rule.clean(field.data or "")
        except FieldError as error:
            field.errors[:] = []
            raise StopValidation(error.message) from None
