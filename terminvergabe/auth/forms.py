"""Login form (Flask-WTF: CSRF token included). The field rules are terminvergabe/fields.py's."""

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from terminvergabe import fields
from terminvergabe.i18n import _l

TOTP_CODE = fields.TextRule(
    9,
    missing=lambda: _("Please enter the six-digit code from your authenticator app."),
    pattern=r"[0-9]{3} ?[0-9]{3}",
    invalid=lambda: _("The code has six digits, e.g. 123456."),
)


class LoginForm(FlaskForm):
    login = StringField(
        _l("Login name"),
        validators=[fields.Rule(fields.LOGIN)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[fields.Rule(fields.PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so that no link can log anyone out."""


class CodeForm(FlaskForm):
    """A six-digit code of the member's authenticator app."""

    code = StringField(
        _l("Code from your authenticator app"),
        validators=[fields.Rule(TOTP_CODE)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
        },
    )
